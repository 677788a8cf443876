"""The static KPI report: ``report/index.html`` beside the working warehouse.

It reads only the published snapshot, embeds the numbers it shows as JSON, and draws
them with plotly.js copied from the pinned ``plotly`` Python package next to the page
(``assets/``), so it works offline, from a file share or through ``itops serve``.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from connectors.core.config import env
from pipelines.bi.paths import published_db_path, report_dir
from pipelines.bi.report.data import ReportData, load_report_data

HERE = Path(__file__).resolve().parent
DEFAULT_DAGSTER_URL = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class WrittenReport:
    index: Path
    snapshot_id: str
    kpis: int
    charts: int


def plotly_bundle() -> tuple[Path, str]:
    """The plotly.js file shipped inside the plotly package, and its version."""
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    with open(path, encoding="utf-8") as handle:
        head = handle.read(200)
    match = re.search(r"plotly\.js v(\S+)", head)
    return path, (match.group(1) if match else "bundled")


def dagster_url() -> str:
    return env("ITOPS_DAGSTER_URL", DEFAULT_DAGSTER_URL)


def chart_count(data: ReportData) -> int:
    """Charts on the default view: one per KPI, plus one shared by the forecast metrics."""
    kinds = [k["kind"] for k in data.payload["kpis"].values()]
    return sum(1 for k in kinds if k != "forecast") + (1 if "forecast" in kinds else 0)


def _atomic_write(path: Path, content: str | bytes) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    if isinstance(content, bytes):
        temporary.write_bytes(content)
    else:
        temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, path)


def _date_label(value: date | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else ""


def render_html(data: ReportData, *, plotly_src: str | None = None, plotly_inline: str | None = None) -> str:
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["j2"]))
    snapshot = data.payload["snapshot"]
    published = snapshot.get("published_at") or datetime.now(UTC)
    return environment.get_template("index.html.j2").render(
        css=(HERE / "static" / "report.css").read_text(encoding="utf-8"),
        js=(HERE / "static" / "report.js").read_text(encoding="utf-8"),
        data_json=data.to_json(),
        data_as_of=data.payload["data_as_of"],
        data_as_of_label=_date_label(data.payload["data_as_of"]),
        published_label=f"{published.astimezone(UTC):%d %b %Y %H:%M} UTC",
        snapshot_id=data.snapshot_id,
        filters=data.payload["filters"],
        dagster_url=data.payload["dagster_url"],
        plotly_src=plotly_src,
        plotly_inline=plotly_inline,
    )


def write_report(db_path: Path | None = None, out_dir: Path | None = None, *,
                 self_contained: bool = False, warehouse: Path | None = None) -> WrittenReport:
    """Render the report from the published snapshot into ``out_dir`` (default ``report_dir()``).

    The page and its assets are replaced by renames, so someone viewing the report during
    a refresh gets the old page or the new one. ``self_contained`` inlines plotly.js (a
    single ~5 MB file to attach to an e-mail) instead of copying it to ``assets/``.
    """
    db_path = db_path or published_db_path(warehouse)
    out_dir = (out_dir or report_dir(warehouse)).resolve()
    if not db_path.exists():
        raise FileNotFoundError(f"no published snapshot at {db_path}: run `itops refresh` (it publishes one)")
    data = load_report_data(db_path, dagster_url=dagster_url())
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle, version = plotly_bundle()
    if self_contained:
        html = render_html(data, plotly_inline=bundle.read_text(encoding="utf-8").replace("</script", "<\\/script"))
    else:
        assets = out_dir / "assets"
        assets.mkdir(exist_ok=True)
        name = f"plotly-{version}.min.js"
        if not (assets / name).exists() or (assets / name).stat().st_size != bundle.stat().st_size:
            temporary = assets / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
            shutil.copyfile(bundle, temporary)
            os.replace(temporary, assets / name)
        html = render_html(data, plotly_src=f"assets/{name}")
    index = out_dir / "index.html"
    _atomic_write(index, html)
    return WrittenReport(index=index, snapshot_id=data.snapshot_id, kpis=data.kpi_count, charts=chart_count(data))
