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
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from connectors.core.warehouse import open_writer, writer_lock
from connectors.registry import ensure_all_raw_tables
from pipelines.defs.connectors import RAW_PREFIX
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


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_vars() -> dict[str, str]:
    return {"reporting_timezone": dbt_env()["ITOPS_TIMEZONE"]}


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
            log.info("dbt: build started")
            invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars())], context=context)
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
