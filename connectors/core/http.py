"""One HTTP client for every connector: retries, rate limits, request budgets, clear errors.

Status-level retries (429, 5xx) and connection-level retries are urllib3's
:class:`~urllib3.util.retry.Retry`, extended to read the reset headers each vendor
uses besides ``Retry-After``. requests' adapter only retries before a body has
started to arrive, so faults *inside* a body (a dropped connection mid-page, a
truncated or malformed JSON document) are retried by a small loop that reuses the
same :class:`Retry` object, so backoff and the total bound are shared.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from connectors.core.config import env, redact
from connectors.core.errors import AuthError, RetriesExhaustedError, SourceAPIError, Window

log = logging.getLogger("itops.http")

USER_AGENT = "itops-kpi/0.1 (+https://github.com/itops-kpi/itops-kpi)"
RETRY_STATUSES = (429, 500, 502, 503, 504)


class MalformedBody(Exception):
    """The body arrived but is not the document we expected (truncated JSON, HTML error page)."""


class VendorRetry(Retry):
    """``Retry`` that also understands ``X-RateLimit-Reset`` and ``ratelimit-reset``.

    ServiceNow sends an epoch second in ``X-RateLimit-Reset``; Jira an ISO-8601
    instant; PagerDuty and Runn send seconds-to-wait in ``ratelimit-reset`` /
    ``x-ratelimit-reset``. ``Retry-After`` wins when present, as every vendor documents.
    """

    RETRY_AFTER_STATUS_CODES = frozenset({429, 503})
    max_wait: float = 900.0

    def get_retry_after(self, response) -> float | None:  # type: ignore[override]
        wait = super().get_retry_after(response)
        if wait is None:
            for header in ("ratelimit-reset", "x-ratelimit-reset"):
                raw = response.headers.get(header)
                if raw:
                    wait = parse_reset_header(raw)
                    break
        if wait is None:
            return None
        return min(max(wait, 0.0), self.max_wait)


def parse_reset_header(raw: str, now: float | None = None) -> float | None:
    """Seconds to wait from a reset header: seconds, an epoch second, or an ISO/HTTP date."""
    now = time.time() if now is None else now
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is not None:
        # Epoch seconds are ~1.7e9; "seconds to wait" are small.
        return max(value - now, 0.0) if value > 1e8 else value
    for parse in (lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")), parsedate_to_datetime):
        try:
            moment = parse(raw)
        except (ValueError, TypeError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(moment.timestamp() - now, 0.0)
    return None


class RequestBudget:
    """At most ``max_requests`` per ``per_seconds`` (sliding window), e.g. Zendesk's 10/min export."""

    def __init__(self, max_requests: int, per_seconds: float) -> None:
        self.max_requests = max_requests
        self.per_seconds = per_seconds
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def acquire(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self.per_seconds:
                    self._sent.popleft()
                if len(self._sent) < self.max_requests:
                    self._sent.append(now)
                    return
                wait = self.per_seconds - (now - self._sent[0]) + 0.001
                self.waited_seconds += wait
                time.sleep(wait)


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    bytes: int = 0
    rate_limited: int = 0
    retry_wait_seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RetrySettings:
    total: int = 8
    backoff_factor: float = 0.5
    backoff_max: float = 60.0
    max_wait: float = 900.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0

    @classmethod
    def from_env(cls) -> RetrySettings:
        return cls(
            total=int(env("ITOPS_HTTP_MAX_RETRIES", str(cls.total))),
            backoff_factor=float(env("ITOPS_HTTP_BACKOFF_FACTOR", str(cls.backoff_factor))),
            backoff_max=float(env("ITOPS_HTTP_BACKOFF_MAX", str(cls.backoff_max))),
            max_wait=float(env("ITOPS_HTTP_MAX_WAIT", str(cls.max_wait))),
            read_timeout=float(env("ITOPS_HTTP_READ_TIMEOUT", str(cls.read_timeout))),
        )


class SourceHTTP:
    """A ``requests`` session bound to one source, with its auth, retries and budget.

    Args:
        source: source name used in every message (``servicenow``).
        base_url: scheme and host (and path prefix) every relative path is joined to.
        headers: fixed headers (Accept, vendor version headers, auth headers).
        auth: a requests auth object (Basic), if the source uses one.
        budget: optional request budget shared by all streams of this source.
        credentials_hint: what to check when the source answers 401/403.
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        auth: Any = None,
        budget: RequestBudget | None = None,
        retry: RetrySettings | None = None,
        credentials_hint: str = "check the credentials in the environment",
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self.settings = retry or RetrySettings.from_env()
        self.credentials_hint = credentials_hint
        self.stats = HttpStats()
        self._retry = VendorRetry(
            total=self.settings.total,
            connect=self.settings.total,
            read=self.settings.total,
            status=self.settings.total,
            backoff_factor=self.settings.backoff_factor,
            backoff_max=self.settings.backoff_max,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self._retry.max_wait = self.settings.max_wait
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=self._retry, pool_connections=4, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        if headers:
            self.session.headers.update(headers)
        if auth is not None:
            self.session.auth = auth
        self.session.hooks["response"].append(self._count)

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def _count(self, response: requests.Response, *args, **kwargs) -> None:
        self.stats.requests += 1
        self.stats.statuses[response.status_code] = self.stats.statuses.get(response.status_code, 0) + 1
        retries = getattr(response.raw, "retries", None)
        if retries is not None and retries.history:
            self.stats.retries += len(retries.history)
            self.stats.rate_limited += sum(1 for h in retries.history if h.status == 429)

    def get(
        self,
        path_or_url: str,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        *,
        stream: str,
        window: Window | None = None,
        ok_statuses: tuple[int, ...] = (200,),
        validate: Callable[[requests.Response, bytes], Any] | None = None,
    ) -> tuple[requests.Response, Any]:
        """GET with every retry layer; returns the response and ``validate``'s result.

        ``validate`` runs inside the retry loop: raising :class:`MalformedBody`
        there re-fetches the page (a truncated body is a transient fault, not data).
        """
        url = self.url(path_or_url)
        retry: Retry = self._retry.new()
        while True:
            if self.budget is not None:
                self.budget.acquire()
            error: Exception | None = None
            try:
                response = self.session.get(
                    url, params=params, timeout=(self.settings.connect_timeout, self.settings.read_timeout)
                )
                body = response.content
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                error, response, body = exc, None, b""
            if response is not None:
                self.stats.bytes += len(body)
                if response.status_code in RETRY_STATUSES:
                    raise RetriesExhaustedError(
                        f"HTTP {response.status_code} from GET {_path(url)} after {self.settings.total} retries",
                        status=response.status_code,
                        source=self.source,
                        stream=stream,
                        window=window,
                        hint="the source is rate limiting or failing; rerun later "
                        "(the cursor did not move) or lower the request budget",
                    )
                if response.status_code in (401, 403):
                    raise AuthError(
                        f"HTTP {response.status_code} from GET {_path(url)}",
                        status=response.status_code,
                        source=self.source,
                        stream=stream,
                        window=window,
                        hint=self.credentials_hint,
                    )
                if response.status_code not in ok_statuses:
                    raise SourceAPIError(
                        f"HTTP {response.status_code} from GET {_path(url)}: {_excerpt(body)}",
                        status=response.status_code,
                        source=self.source,
                        stream=stream,
                        window=window,
                        hint="check the base URL and the stream's permissions; the cursor did not move",
                    )
                if validate is None:
                    return response, None
                try:
                    return response, validate(response, body)
                except MalformedBody as exc:
                    error = exc
            retry = self._next_attempt(retry, url, error, stream=stream, window=window)

    def _next_attempt(
        self, retry: Retry, url: str, error: Exception, *, stream: str, window: Window | None
    ) -> Retry:
        try:
            retry = retry.increment(method="GET", url=url, error=_as_urllib3_error(error))
        except MaxRetryError:
            raise RetriesExhaustedError(
                f"GET {_path(url)} kept failing ({type(error).__name__}: {redact(str(error))[:200]})",
                source=self.source,
                stream=stream,
                window=window,
                hint="the connection or the response body keeps breaking; check the network path "
                "to the source and rerun (the cursor did not move)",
            ) from error
        self.stats.retries += 1
        wait = retry.get_backoff_time()
        self.stats.retry_wait_seconds += wait
        log.warning(
            "%s/%s: %s on GET %s; retry %d in %.1fs",
            self.source,
            stream,
            type(error).__name__,
            _path(url),
            len(retry.history),
            wait,
        )
        retry.sleep()
        return retry


def _as_urllib3_error(error: Exception) -> Exception:
    # Retry.increment classifies by urllib3 exception type; a read error is what a
    # broken or truncated body is, whatever layer noticed it.
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    if isinstance(error, requests.Timeout):
        return ReadTimeoutError(None, "", str(error))  # type: ignore[arg-type]
    return ProtocolError(str(error))


def _path(url: str) -> str:
    """URL without scheme/host for messages (hosts can embed tenant names; queries can be long)."""
    rest = url.split("//", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return redact(path if len(path) < 300 else path[:300] + "...")


def _excerpt(body: bytes) -> str:
    return redact(body[:300].decode("utf-8", "replace").replace("\n", " "))


def check_json_object(body: bytes) -> None:
    """Cheap structural check for a JSON object body, without parsing it in Python.

    A body cut short almost never ends in ``}``; the full parse happens in DuckDB,
    which raises :class:`MalformedBody` too if the document is broken inside.
    """
    stripped = body.strip()
    if not (stripped.startswith(b"{") and stripped.endswith(b"}")):
        raise MalformedBody(f"body is not a complete JSON object ({len(body)} bytes)")
