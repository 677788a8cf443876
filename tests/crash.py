"""Kill a connector load mid-way, for the crash-then-rerun test every connector has.

The load runs as `python -m connectors load <source> --stream ...` in a child process
against its own warehouse file; its pages are slowed down so that a SIGKILL lands
between commits and in the middle of a page, never after the end.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from connectors.fakes.base import FakeAPI, Fault

ROOT = Path(__file__).resolve().parents[1]


def _command(source: str, streams: list[str]) -> list[str]:
    args = ["load", source, *[part for stream in streams for part in ("--stream", stream)]]
    script = f"import sys; from connectors.__main__ import main; sys.exit(main({args!r}))"
    return [sys.executable, "-c", script]


def _env(warehouse: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "ITOPS_WAREHOUSE": str(warehouse)}


def load_to_the_end(source: str, streams: list[str], warehouse: Path, timeout: float = 300) -> None:
    """A whole load in a child process, as the crashed one is rerun (and the clean reference)."""
    subprocess.run(_command(source, streams), env=_env(warehouse), check=True, capture_output=True, timeout=timeout)


def kill_load_midway(api: FakeAPI, path_regex: str, source: str, streams: list[str], warehouse: Path,
                     *, after_requests: int) -> None:
    """Start the load, SIGKILL it once `after_requests` more requests matched `path_regex`,
    and leave the fake as it was (no slow pages)."""
    matcher = re.compile(path_regex)

    def served() -> int:
        return sum(1 for request in api.requests if matcher.search(request.path))

    api.faults.add(Fault("slow", path=path_regex, delay=0.15, times=100_000))
    try:
        baseline = served()
        proc = subprocess.Popen(_command(source, streams), env=_env(warehouse), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and served() < baseline + after_requests:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        api.faults.clear()
