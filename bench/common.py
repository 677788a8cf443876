"""Shared benchmark plumbing: machine facts, child-process measurement, result files.

Every figure is measured in one run of `make bench` on the same machine, and
compared as a ratio to a reference measured in the same run: absolute seconds vary
from machine to machine, ratios much less.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_JSON = ROOT / "bench" / "results.json"
RESULTS_MD = ROOT / "bench" / "results.md"


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gb": mem_gb, "cpu_model": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str

    def json_line(self) -> dict:
        """The last stdout line that parses as JSON (the child's own report)."""
        for line in reversed(self.stdout.strip().splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                continue
        return {}


def run_measured(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 3600) -> Measured:
    """Run a child process; wall time and its own peak RSS (not the harness's)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)
    out, err = proc.communicate(timeout=timeout)
    elapsed = time.monotonic() - started
    # ru_maxrss of the reaped child: os.wait4 is taken by communicate(), so read the
    # child's high-water mark from a wrapper instead when available.
    peak = _peak_from_stderr(err)
    return Measured(elapsed, peak, proc.returncode, out, err)


def _peak_from_stderr(stderr: str) -> float:
    for line in stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1]) / 1024.0
    return float("nan")


def timed(cmd: list[str]) -> list[str]:
    """Wrap a command with GNU time to record its peak RSS."""
    return ["/usr/bin/time", "-v", *cmd]


@dataclass
class Benchmark:
    name: str
    ours_s: float
    reference: str
    reference_s: float
    target: str
    met: bool
    peak_rss_mb: float | None = None
    ratio: float = field(init=False)
    notes: str = ""

    def __post_init__(self) -> None:
        self.ratio = round(self.ours_s / self.reference_s, 3) if self.reference_s else float("nan")


def save(benchmarks: list[Benchmark], inputs: dict[str, str] | None = None) -> None:
    """Merge these benchmarks into bench/results.json (by name) and rewrite results.md.

    ``inputs`` says, per cached input (org stores, warehouses), whether this run reused it."""
    previous = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {"benchmarks": []}
    by_name = {b["name"]: b for b in previous.get("benchmarks", [])}
    for bench in benchmarks:
        by_name[bench.name] = asdict(bench)
    doc = {"machine": machine(), "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "benchmarks": list(by_name.values()), "inputs": {**previous.get("inputs", {}), **(inputs or {})}}
    RESULTS_JSON.write_text(json.dumps(doc, indent=2) + "\n")
    RESULTS_MD.write_text(render_markdown(doc))


def render_markdown(doc: dict) -> str:
    m = doc["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu_model']} (Python {m['python']}). "
        f"Generated {doc['generated_at']} by `make bench`.",
        "",
        "| Benchmark | Ours (s) | Reference | Reference (s) | Ratio | Target | Met | Peak RSS (MB) | Notes |",
        "|---|---:|---|---:|---:|---|---|---:|---|",
    ]
    for b in doc["benchmarks"]:
        rss = "" if b.get("peak_rss_mb") in (None, "NaN") else f"{b['peak_rss_mb']:.0f}"
        lines.append(
            f"| {b['name']} | {_seconds(b['ours_s'])} | {b['reference']} | {_seconds(b['reference_s'])} | "
            f"{b['ratio']:.2f} | {b['target']} | {'yes' if b['met'] else '**no**'} | {rss} | {b.get('notes', '')} |"
        )
    if doc.get("inputs"):
        lines += ["", "Inputs (cached under ITOPS_BENCH_DIR, default .itops/bench; reused when present):", ""]
        lines += [f"- {name}: {state}" for name, state in doc["inputs"].items()]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():  # the analysis (profiles, what misses and why), kept by hand beside the figures
        lines += ["", notes.read_text().strip()]
    return "\n".join(lines) + "\n"


def _seconds(value: float) -> str:
    return f"{value:.4f}" if value < 1 else f"{value:.2f}"


def remove_database(path: Path) -> None:
    """A DuckDB file and what is left beside it (its ``.wal``, the ``.tmp`` spill folder, our
    ``.writer.lock``): a large org's working warehouse is 21 GB, and its spill as much again."""
    for leftover in [path, *path.parent.glob(path.name + ".*")]:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def python() -> str:
    return sys.executable
