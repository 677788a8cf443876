"""``itops serve``: the KPI report over HTTP on 127.0.0.1, with the Dagster UI linked.

A static file server is all the report needs (it is one page, its JSON and plotly.js);
a refresh replaces the page by a rename, so a reload always shows a whole report.
"""

from __future__ import annotations

import functools
import http.server
import logging
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from connectors.core.config import PROJECT_ROOT

log = logging.getLogger("itops.serve")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def end_headers(self) -> None:
        # The page changes after every refresh: never serve a stale copy from a cache.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    return http.server.ThreadingHTTPServer((host, port), handler)


def dagster_is_up(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/server_info", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def start_dagster(port: int) -> subprocess.Popen:
    """``dagster dev`` on 127.0.0.1 (webserver and daemon), in its own process group."""
    from pipelines.project import dagster_home

    dagster_home()
    executable = Path(sys.executable).with_name("dagster")
    return subprocess.Popen(
        [str(executable) if executable.exists() else "dagster", "dev", "-w", "workspace.yaml",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT, env=os.environ.copy(), start_new_session=True,
    )


def stop_process_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def serve_forever(server: http.server.ThreadingHTTPServer, stop: threading.Event | None = None) -> None:
    thread = threading.Thread(target=server.serve_forever, name="itops-report-server", daemon=True)
    thread.start()
    try:
        (stop or threading.Event()).wait()
    finally:
        server.shutdown()
        server.server_close()
