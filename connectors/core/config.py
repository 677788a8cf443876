"""Settings from environment variables, and redaction of secrets.

Every connector reads its settings here, at run time (never at import time), so
that tests and the Dagster code location can change the environment freely.
Secrets are registered as they are read; :func:`redact` then scrubs them from any
text that could reach a log line, an exception, an alert or the warehouse.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from connectors.core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

# Anything that looks like a credential in a URL or header dump is scrubbed too,
# even if it was never registered (for example a token echoed by a proxy).
_CREDENTIAL_PATTERNS = [
    (re.compile(r"(?i)(authorization['\"]?:\s*['\"]?)(basic|bearer|token)\s+[^\s,;'\"]+"), r"\1\2 ***"),
    (re.compile(r"(?i)(\b(?:token|password|access_token|api_token|secret)=)[^\s&\"',;]+"), r"\1***"),
    (re.compile(r"(//)[^/\s:@]+:[^/\s@]+@"), r"\1***@"),
]


def register_secret(value: str | None) -> str | None:
    """Remember a secret (and its Basic-auth encodings) so :func:`redact` can scrub it."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)
    return value


def register_basic_auth(user: str, password: str) -> None:
    """Register the base64 form a Basic ``Authorization`` header would carry."""
    register_secret(password)
    register_secret(base64.b64encode(f"{user}:{password}".encode()).decode())


def redact(text: str) -> str:
    """Replace every registered secret and credential-looking fragment with ``***``."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    for pattern, replacement in _CREDENTIAL_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def env(name: str, default: str | None = None) -> str | None:
    """An environment variable, with empty strings treated as unset."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_secret(name: str) -> str | None:
    """An environment variable holding a secret; registered for redaction."""
    return register_secret(env(name))


def require(name: str, source: str, hint: str | None = None) -> str:
    value = env(name)
    if value is None:
        raise ConfigError(
            f"environment variable {name} is not set",
            source=source,
            hint=hint or f"export {name}=... (see the Sources table in README.md)",
        )
    return value


def warehouse_path() -> Path:
    """The working (read-write) DuckDB file: ``ITOPS_WAREHOUSE``, default ``warehouse/itops.duckdb``."""
    path = Path(env("ITOPS_WAREHOUSE", str(PROJECT_ROOT / "warehouse" / "itops.duckdb")))
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def reporting_timezone() -> str:
    """IANA time zone that bounds KPI periods (days, Monday weeks, months)."""
    return env("ITOPS_TIMEZONE", "UTC")


def start_date() -> date:
    """Lower bound of a first pull: ``ITOPS_START_DATE`` (YYYY-MM-DD), default two years back."""
    raw = env("ITOPS_START_DATE")
    if raw is None:
        return (datetime.now(UTC) - timedelta(days=730)).date()
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(
            f"ITOPS_START_DATE={raw!r} is not a date", hint="use the form YYYY-MM-DD, e.g. 2024-01-01"
        ) from exc


@dataclass(frozen=True)
class LoadSettings:
    """How the loader batches and overlaps; tunable by env for very large or very slow sources."""

    flush_rows: int = 50_000
    overlap: timedelta = timedelta(minutes=10)
    #: DuckDB's buffer pool for loads: with the pages in flight beside it (one being fetched, up
    #: to three queued or landing), a loader stays under 1 GB; 768MB measured no faster
    duckdb_memory_limit: str = "512MB"
    duckdb_threads: int = 2

    @classmethod
    def from_env(cls) -> LoadSettings:
        return cls(
            flush_rows=int(env("ITOPS_FLUSH_ROWS", str(cls.flush_rows))),
            overlap=timedelta(minutes=int(env("ITOPS_OVERLAP_MINUTES", "10"))),
            duckdb_memory_limit=env("ITOPS_DUCKDB_MEMORY_LIMIT", cls.duckdb_memory_limit),
            duckdb_threads=int(env("ITOPS_DUCKDB_THREADS", str(cls.duckdb_threads))),
        )
