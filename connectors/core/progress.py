"""Progress lines for long reads: rows, pages, rate and ETA, at most every few seconds."""

from __future__ import annotations

import logging
import time

log = logging.getLogger("itops.progress")


def format_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


class StreamProgress:
    """Counts rows and pages of one stream read and logs a line every ``every`` seconds.

    ``expected_total`` (from ``X-Total-Count`` or ``total_entries``) enables an ETA.
    """

    def __init__(self, source: str, stream: str, *, every: float = 2.0, label: str = "") -> None:
        self.source = source
        self.stream = stream
        self.every = every
        self.label = label
        self.rows = 0
        self.pages = 0
        self.expected_total: int | None = None
        self._start = time.monotonic()
        self._last = 0.0

    def page(self, landing, count: int) -> None:
        self.rows += count
        self.pages += 1
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            log.info(self.line())

    def line(self, final: bool = False) -> str:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        rate = self.rows / elapsed
        text = f"{self.source}/{self.stream}{self.label}: {self.pages:,} pages, {self.rows:,} rows"
        if self.expected_total and not final:
            remaining = max(self.expected_total - self.rows, 0)
            text += f" of ~{self.expected_total:,}, ETA {format_eta(remaining / rate if rate else None)}"
        text += f", {rate:,.0f} rows/s"
        if final:
            text += f" in {elapsed:,.1f}s"
        return text
