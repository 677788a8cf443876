"""Connector errors, each carrying what an on-call engineer needs to act.

Our exception tree::

    ConnectorError                  source, stream, window and a next step ("hint")
    ├── ConfigError                 a required environment variable is missing or malformed
    ├── SourceAPIError              the API answered, but not with data we can use
    │   ├── AuthError               401/403: credentials or permissions
    │   └── RetriesExhaustedError   429/5xx/timeouts/broken bodies outlived the retry budget
    └── WarehouseLockedError        another process holds the DuckDB file read-write

Messages never contain secrets: every message passes through
:func:`connectors.core.config.redact` before it is raised.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)`` a read covers, for messages and bookkeeping."""

    start: str | None
    end: str | None

    def __str__(self) -> str:
        return f"[{self.start or '-inf'} .. {self.end or 'now'})"


class ConnectorError(RuntimeError):
    """Base class: names the source, stream and window, and says what to do next."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        stream: str | None = None,
        window: Window | None = None,
        hint: str | None = None,
    ) -> None:
        from connectors.core.config import redact

        self.source = source
        self.stream = stream
        self.window = window
        self.hint = hint
        where = "/".join(p for p in (source, stream) if p)
        parts = [f"{where}: " if where else "", message]
        if window is not None:
            parts.append(f" (window {window})")
        if hint:
            parts.append(f". Next step: {hint}")
        super().__init__(redact("".join(parts)))


class ConfigError(ConnectorError):
    """A required setting is missing or malformed."""


class SourceAPIError(ConnectorError):
    """The source answered with something we cannot use (4xx, malformed envelope)."""

    def __init__(self, message: str, *, status: int | None = None, **kwargs) -> None:
        self.status = status
        super().__init__(message, **kwargs)


class AuthError(SourceAPIError):
    """401/403 from the source."""


class RetriesExhaustedError(SourceAPIError):
    """Transient failures (429, 5xx, timeouts, truncated bodies) outlived the retry budget."""


class WarehouseLockedError(ConnectorError):
    """Another process holds the DuckDB warehouse file open read-write."""
