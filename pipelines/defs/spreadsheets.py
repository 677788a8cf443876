"""The spreadsheets folder in Dagster: one asset per file kind, a folder sensor, a refresh job.

The ``spreadsheets_files`` multi-asset loads ``ITOPS_FILES_DIR`` (see
``connectors/spreadsheets.py``) and materialises ``raw_spreadsheets/<kind>`` with what is
in force and what was rejected; the ``no_rejected_files`` check of each kind warns when a
file was rejected (its previous version stays in force). It runs in the nightly
``full_refresh`` job like every source; without ``ITOPS_FILES_DIR`` it only makes sure
the (empty) tables exist, so the models below it still build.

The ``spreadsheets_folder`` sensor fingerprints the folder's loadable files (names and
SHA-256 of their contents) every 30 seconds and, when the fingerprint changes, runs
``spreadsheets_refresh``: the load, then every dbt model downstream of it.
"""

import dagster as dg

from connectors.core.warehouse import open_writer
from connectors.spreadsheet_kinds import KINDS
from connectors.spreadsheets import LoadReport, ensure_tables, files_dir, folder_fingerprint, load_folder
from pipelines.defs.connectors import RAW_PREFIX
from pipelines.defs.resources import WarehouseResource

GROUP = f"{RAW_PREFIX}spreadsheets"
CHECK = "no_rejected_files"
JOB = "spreadsheets_refresh"


def kind_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey([GROUP, kind])


def _kind_metadata(report: LoadReport | None, kind: str, rows_in_force: int, files_in_force: list[str]) -> dict:
    outcomes = [o for o in (report.outcomes if report else []) if o.kind == kind]
    return {
        "folder": dg.MetadataValue.text(str(report.folder) if report else "(ITOPS_FILES_DIR not set)"),
        "rows_in_force": dg.MetadataValue.int(rows_in_force),
        "files_in_force": dg.MetadataValue.text(", ".join(files_in_force) or "-"),
        "loaded": dg.MetadataValue.int(sum(o.status == "loaded" for o in outcomes)),
        "unchanged": dg.MetadataValue.int(sum(o.status == "unchanged" for o in outcomes)),
        "removed": dg.MetadataValue.int(sum(o.status == "removed" for o in outcomes)),
        "rejected": dg.MetadataValue.int(sum(o.status == "rejected" for o in outcomes)),
    }


@dg.multi_asset(
    name="spreadsheets_files",
    specs=[
        dg.AssetSpec(kind_key(kind.name), description=f"{kind.title}: rows of the `{kind.name}` files in "
                     "ITOPS_FILES_DIR (see docs/spreadsheets.md).", group_name=GROUP,
                     kinds={"python", "duckdb"},
                     metadata={"table": dg.MetadataValue.text(f"raw_spreadsheets.{kind.name}")})
        for kind in KINDS.values()
    ],
    check_specs=[dg.AssetCheckSpec(CHECK, asset=kind_key(kind.name),
                                   description="Every file of this kind in the folder passed validation.")
                 for kind in KINDS.values()],
    pool="source_spreadsheets",
)
def spreadsheets_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    folder = files_dir()
    report = None
    with open_writer(warehouse.db_path()) as con:
        ensure_tables(con)
        if folder is None:
            context.log.info("spreadsheets: ITOPS_FILES_DIR is not set; nothing to load")
        else:
            report = load_folder(con, folder)
        in_force = {}
        for kind, file_name, rows in con.execute(
                "select kind, file_name, rows from raw_spreadsheets._files order by file_name").fetchall():
            in_force.setdefault(kind, []).append((file_name, rows))
    for kind in KINDS:
        files = in_force.get(kind, [])
        yield dg.MaterializeResult(
            asset_key=kind_key(kind),
            metadata=_kind_metadata(report, kind, sum(r for _, r in files), [f for f, _ in files]),
        )
        rejected = [o for o in (report.rejected if report else []) if o.kind == kind]
        yield dg.AssetCheckResult(
            asset_key=kind_key(kind), check_name=CHECK, passed=not rejected, severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejections": dg.MetadataValue.md(
                "\n".join(f"- {e}" for o in rejected for e in o.errors) or "none")},
        )
    if report:
        summary = ", ".join(f"{len(report.by_status(s))} {s}" for s in ("loaded", "unchanged", "removed", "rejected"))
        context.log.info(f"spreadsheets: {report.folder}: {summary}")
        for outcome in report.rejected:
            context.log.warning(f"spreadsheets: rejected {outcome.message}; the previous version stays in force")


spreadsheets_refresh = dg.define_asset_job(
    JOB,
    selection=dg.AssetSelection.groups(GROUP).downstream(),
    description="Load the spreadsheets folder, then rebuild and test every dbt model that reads it.",
    executor_def=dg.in_process_executor,
)


@dg.sensor(name="spreadsheets_folder", job=spreadsheets_refresh, minimum_interval_seconds=30,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Runs spreadsheets_refresh when a file in ITOPS_FILES_DIR is added, changed or removed.")
def spreadsheets_folder(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    folder = files_dir()
    if folder is None:
        return dg.SkipReason("ITOPS_FILES_DIR is not set")
    if not folder.is_dir():
        return dg.SkipReason(f"ITOPS_FILES_DIR={folder} is not a folder")
    fingerprint = folder_fingerprint(folder)
    previous = context.cursor
    if fingerprint == previous:
        return dg.SkipReason("no file changed")
    context.update_cursor(fingerprint)
    # The previous fingerprint is part of the key, so changing a file back is a new run too.
    return dg.RunRequest(run_key=f"spreadsheets-{fingerprint[:16]}-after-{(previous or 'none')[:16]}",
                         tags={"itops/trigger": "spreadsheets_folder"})


def spreadsheet_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[spreadsheets_files], jobs=[spreadsheets_refresh], sensors=[spreadsheets_folder])
