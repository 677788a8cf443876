"""Where published artefacts live: beside the working warehouse unless overridden."""

from __future__ import annotations

from pathlib import Path

from connectors.core.config import env, warehouse_path


def _resolved(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def publish_dir(warehouse: Path | None = None) -> Path:
    """``ITOPS_PUBLISH_DIR``, default ``published/`` in the working warehouse's folder."""
    override = env("ITOPS_PUBLISH_DIR")
    return _resolved(override) if override else (warehouse or warehouse_path()).parent / "published"


def published_db_path(warehouse: Path | None = None) -> Path:
    """The read-only snapshot BI tools open: ``<publish dir>/<warehouse file name>``."""
    return publish_dir(warehouse) / (warehouse or warehouse_path()).name


def report_dir(warehouse: Path | None = None) -> Path:
    """``ITOPS_REPORT_DIR``, default ``report/`` in the working warehouse's folder."""
    override = env("ITOPS_REPORT_DIR")
    return _resolved(override) if override else (warehouse or warehouse_path()).parent / "report"
