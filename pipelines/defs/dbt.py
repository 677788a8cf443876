"""dbt models as Dagster assets (dbt tests as asset checks), wired below the connector assets."""


import contextlib
import fcntl
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from connectors.core.warehouse import open_writer, writer_lock
from connectors.registry import CONNECTORS, ensure_all_raw_tables
from pipelines.defs.connectors import RAW_PREFIX
from pipelines.defs.history import fact_streams, history_key, window_from_tags
from pipelines.defs.resources import WarehouseResource
from pipelines.project import DBT_PROJECT_DIR, dbt_env

log = logging.getLogger("itops.dbt")


def dbt_executable() -> str:
    """The dbt of the interpreter running us (a venv's dbt is not always on PATH)."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def manifest_path() -> Path:
    return DBT_PROJECT_DIR / "target" / "manifest.json"


def ensure_manifest() -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than any project file.

    Dagster builds the asset graph from the manifest when the code location loads,
    so a fresh clone, or an edited model, must get a fresh manifest first.
    """
    manifest = manifest_path()
    manifest.parent.mkdir(parents=True, exist_ok=True)
    # Several processes (test workers, a webserver and a CLI run) may load definitions
    # at once; one parses, the others wait and reuse its manifest.
    with open(manifest.parent / ".parse.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _parse_if_stale(manifest)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _parse_if_stale(manifest: Path) -> Path:
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    newest = max(p.stat().st_mtime for p in sources)
    if manifest.exists() and manifest.stat().st_mtime >= newest:
        return manifest
    env = {**os.environ, **dbt_env()}
    proc = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--quiet"],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0 or not manifest.exists():
        raise RuntimeError(f"dbt parse failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return manifest


class ItopsDbtTranslator(DagsterDbtTranslator):
    """Asset keys are ``[schema, model]``; dbt sources are the connector stream assets."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([f"{RAW_PREFIX}{dbt_resource_props['source_name']}", dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "main"
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # Dagster groups follow the dbt layer folders: staging, intermediate, marts, reference.
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        """A model reading a fact stream also depends on that stream's history asset: both
        paths land in the same raw table (lineage, and "materialize downstream" after a backfill)."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = manifest["nodes"].get(unique_id) or {}
        if props.get("resource_type") != "model":
            return spec
        extra = []
        for parent in props.get("depends_on", {}).get("nodes", []):
            source = manifest["sources"].get(parent)
            if source and source["name"] in _fact_stream_names(source["source_name"]):
                extra.append(dg.AssetDep(history_key(source["source_name"], source["name"])))
        return spec.merge_attributes(deps=extra) if extra else spec


def _fact_stream_names(source: str) -> set[str]:
    connector = CONNECTORS.get(source)
    return {spec.name for spec in fact_streams(connector)} if connector else set()


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_vars(window: tuple[date, date] | None = None) -> dict[str, str]:
    """``reporting_timezone`` always; in a backfill run also ``backfill_start`` and
    ``backfill_end`` (ISO dates, end exclusive): the days whose history the run loaded.

    Table models rebuild whole and need no window; an incremental model must also
    reprocess rows whose stamp falls in the window, since backfilled rows carry old
    stamps that its high-water mark would skip (see docs/operations.md).
    """
    found = {"reporting_timezone": dbt_env()["ITOPS_TIMEZONE"]}
    if window is not None:
        found.update(backfill_start=window[0].isoformat(), backfill_end=window[1].isoformat())
    return found


def mart_freshness_hours() -> dict[dg.AssetKey, float | None]:
    """Every mart's asset key, with the hours of its dbt ``meta: {freshness_hours: N}`` if set."""
    manifest = json.loads(ensure_manifest().read_text())
    translator = ItopsDbtTranslator()
    found: dict[dg.AssetKey, float | None] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node.get("config", {}).get("schema") != "marts":
            continue
        meta = {**node.get("meta", {}), **node.get("config", {}).get("meta", {})}
        hours = meta.get("freshness_hours")
        found[translator.get_asset_key(node)] = float(hours) if hours is not None else None
    return found


def build_dbt_assets() -> dg.AssetsDefinition:
    ensure_manifest()
    translator = ItopsDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    @dbt_assets(manifest=manifest_path(), project=dbt_project(), dagster_dbt_translator=translator, name="dbt_models",
                pool="warehouse_writer")
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        db_path = warehouse.db_path()
        # dbt runs as a subprocess: point it at the same file, and hold the writer lock
        # so no other itops process opens the warehouse while dbt has it.
        os.environ["ITOPS_WAREHOUSE"] = str(db_path)
        with writer_lock(db_path):
            with open_writer(db_path) as con:
                ensure_all_raw_tables(con)
            window = window_from_tags(context.run.tags)
            log.info("dbt: build started" + (f" (backfill window {window[0]} .. {window[1]})" if window else ""))
            invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars(window))], context=context)
            for event in invocation.stream():
                if isinstance(event, dg.Output):
                    log.info(f"dbt: built {event.output_name.replace('__', '.', 1)}")
                elif isinstance(event, dg.AssetCheckResult) and not event.passed:
                    log.warning(f"dbt: test {event.check_name} failed on {event.asset_key.to_user_string()}")
                yield event
        prune_target_dirs()

    return dbt_models


def prune_target_dirs(keep: int = 10, min_age_seconds: float = 3600.0) -> None:
    """dagster-dbt gives every invocation its own target folder; keep only the recent ones."""
    root = DBT_PROJECT_DIR / "target"
    # Another process (a second refresh, a test worker) may be pruning the same folder:
    # a run folder can vanish between the listing and its stat.
    ages = {}
    for path in root.glob("dbt_models-*"):
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir():
                ages[path] = path.stat().st_mtime
    runs = sorted(ages, key=ages.__getitem__, reverse=True)
    now = time.time()
    for old in runs[keep:]:
        if now - ages[old] > min_age_seconds:
            shutil.rmtree(old, ignore_errors=True)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                          dbt_executable=dbt_executable())
