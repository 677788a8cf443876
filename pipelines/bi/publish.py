"""Publish a consistent, read-only snapshot of the warehouse for BI tools and the report.

DuckDB admits one read-write process per file, and that process locks every other
process out: a BI tool cannot read the working warehouse during a refresh, and would
see half-built marts if it could. So a refresh that has built and checked everything
publishes a copy, in generations::

    published/
      itops.duckdb  -> current/itops.duckdb     what BI tools open (read-only)
      parquet       -> current/parquet          the same tables as Parquet
      snapshot.json -> current/snapshot.json    what this generation holds
      current       -> generations/<id>         the ONE link a publish replaces
      generations/<id>/                         complete generations: the current one and the one before
      generations/<id>.partial/                 a generation being built (never read)

A generation is built aside in ``<id>.partial``, synced to disk, renamed to ``<id>``,
and only then is ``current`` replaced by an atomic ``rename(2)`` of a new symbolic link.
A reader that opens ``published/itops.duckdb`` gets either the old or the new file,
never a mix, and a reader that opened the old one keeps reading it (its open file is
untouched; the previous generation stays on disk until the next publish). A run that
fails anywhere before that rename leaves ``published/`` exactly as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connectors.core.config import env, reporting_timezone, warehouse_path
from connectors.core.warehouse import writer_lock
from pipelines.bi.parquet_export import ParquetTable, export_parquet
from pipelines.bi.paths import publish_dir
from pipelines.bi.snapshot import Relation, build_snapshot_db

log = logging.getLogger("itops.publish")

DEFAULT_SCHEMAS = "marts,bi,reference"
DEFAULT_PARQUET_SCHEMAS = "marts,reference"
#: Readable by every DuckDB since 1.0, including the builds inside BI drivers.
DEFAULT_STORAGE_VERSION = "v1.0.0"
CURRENT = "current"
GENERATIONS = "generations"
PARTIAL = ".partial"
MANIFEST = "snapshot.json"
PARQUET = "parquet"


@dataclass
class PublishResult:
    snapshot_id: str
    db_path: Path
    parquet_dir: Path
    relations: list[Relation]
    parquet: list[ParquetTable]
    db_bytes: int
    parquet_bytes: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


def _csv(name: str, default: str) -> list[str]:
    return [part.strip() for part in (env(name, default) or default).split(",") if part.strip()]


def new_snapshot_id(now: datetime | None = None) -> str:
    """Sortable and unique: UTC time of the publish plus a random suffix."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:6]}"


@contextlib.contextmanager
def _publish_lock(folder: Path) -> Iterator[None]:
    """One publisher per folder, even if two warehouses were pointed at the same one."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".publish.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_tree(root: Path) -> None:
    """Data and directory entries on disk before the rename that makes them visible."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _replace_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically: a new link, renamed over the old one."""
    if link.is_dir() and not link.is_symlink():
        raise RuntimeError(f"{link} is a directory, not the link a publish maintains; move it away and publish again")
    temporary = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}.tmp")
    os.symlink(target, temporary)
    os.replace(temporary, link)


def current_snapshot_id(folder: Path | None = None) -> str | None:
    """The id of the generation ``published/current`` points at (None before the first publish)."""
    folder = folder or publish_dir()
    link = folder / CURRENT
    return os.readlink(link).rsplit("/", 1)[-1] if link.is_symlink() else None


def _clean_partials(generations: Path) -> None:
    # We hold the publish lock: any partial generation left is from a publish that died.
    for partial in generations.glob(f"*{PARTIAL}"):
        shutil.rmtree(partial, ignore_errors=True)


def _prune(generations: Path, keep: set[str]) -> None:
    """Keep the new generation and the one before it (readers may still be on it)."""
    for folder in generations.iterdir():
        if folder.is_dir() and folder.name not in keep and not folder.name.endswith(PARTIAL):
            # The snapshot file is read-only (0444); its folder is ours to remove.
            shutil.rmtree(folder, ignore_errors=True)


def publish_snapshot(
    work_db: Path | None = None,
    folder: Path | None = None,
    *,
    run_id: str | None = None,
    fail_before_swap: bool = False,
) -> PublishResult:
    """Build a new generation from the working warehouse and make it current.

    ``fail_before_swap`` exists for tests of the all-or-nothing guarantee: it raises after
    the whole generation is built, at the last moment before the swap.
    """
    work_db = (work_db or warehouse_path()).resolve()
    folder = (folder or publish_dir(work_db)).resolve()
    if not work_db.exists():
        raise FileNotFoundError(f"no working warehouse at {work_db}: run `itops refresh` first")
    schemas = _csv("ITOPS_PUBLISH_SCHEMAS", DEFAULT_SCHEMAS)
    parquet_schemas = [s for s in _csv("ITOPS_PUBLISH_PARQUET_SCHEMAS", DEFAULT_PARQUET_SCHEMAS) if s in schemas]
    storage_version = env("ITOPS_PUBLISH_STORAGE_VERSION", DEFAULT_STORAGE_VERSION)
    if storage_version in ("latest", "current"):
        storage_version = None
    timings: dict[str, float] = {}
    snapshot_id = new_snapshot_id()
    generations = folder / GENERATIONS
    with _publish_lock(folder):
        generations.mkdir(parents=True, exist_ok=True)
        _clean_partials(generations)
        partial = generations / f"{snapshot_id}{PARTIAL}"
        partial.mkdir()
        try:
            db_file = partial / work_db.name
            published_at = datetime.now(UTC)
            info: dict[str, object] = {
                "snapshot_id": snapshot_id,
                "published_at": published_at,
                "run_id": run_id or "",
                "storage_version": storage_version or "latest",
                "reporting_timezone": reporting_timezone(),
            }
            started = time.monotonic()
            # The writer lock keeps every itops writer out while we read the working file;
            # it is released as soon as the copy is made (Parquet is written from the copy).
            with writer_lock(work_db):
                relations = build_snapshot_db(work_db, db_file, schemas=schemas, storage_version=storage_version,
                                              info=info)
            timings["copy_database"] = time.monotonic() - started
            started = time.monotonic()
            parquet = export_parquet(db_file, partial / PARQUET, snapshot_id=snapshot_id, schemas=parquet_schemas)
            timings["export_parquet"] = time.monotonic() - started
            started = time.monotonic()
            manifest = {
                "snapshot_id": snapshot_id,
                "published_at": published_at.isoformat(),
                "run_id": run_id,
                "database": work_db.name,
                "storage_version": info["storage_version"],
                "reporting_timezone": info["reporting_timezone"],
                "relations": [{"schema": r.schema, "name": r.name, "kind": r.kind, "rows": r.rows}
                              for r in relations],
                "parquet": [{"schema": p.schema, "table": p.table, "path": f"{PARQUET}/{p.path}", "rows": p.rows,
                             "files": p.files, "partitioned_by": p.partitioned_by} for p in parquet],
            }
            (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
            os.chmod(db_file, 0o444)  # a reminder to tools that open files read-write by default
            _fsync_tree(partial)
            complete = generations / snapshot_id
            os.rename(partial, complete)
            _fsync_dir(generations)
            timings["sync"] = time.monotonic() - started
            if fail_before_swap:
                raise RuntimeError("publish: failure injected before the swap (test)")
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            shutil.rmtree(generations / snapshot_id, ignore_errors=True)
            raise
        started = time.monotonic()
        previous = current_snapshot_id(folder)
        # The commit point: one atomic rename makes database, Parquet and manifest current together.
        _replace_link(folder / CURRENT, f"{GENERATIONS}/{snapshot_id}")
        for name in (work_db.name, PARQUET, MANIFEST):
            link = folder / name
            if not (link.is_symlink() and os.readlink(link) == f"{CURRENT}/{name}"):
                _replace_link(link, f"{CURRENT}/{name}")
        _fsync_dir(folder)
        _prune(generations, {snapshot_id, previous} - {None})
        timings["swap"] = time.monotonic() - started
    result = PublishResult(
        snapshot_id=snapshot_id,
        db_path=folder / work_db.name,
        parquet_dir=folder / PARQUET,
        relations=relations,
        parquet=parquet,
        db_bytes=(complete / work_db.name).stat().st_size,
        parquet_bytes=_tree_bytes(complete / PARQUET),
        timings=timings,
    )
    log.info(
        f"publish: snapshot {snapshot_id} ({len(relations)} tables and views, {result.db_bytes / 1e6:.1f} MB; "
        f"Parquet {result.parquet_bytes / 1e6:.1f} MB) in {result.seconds:.1f}s -> {result.db_path}"
    )
    return result
