"""The benchmarks' bulk mode (bigger pages, no rate limits) changes how many requests a
load takes, never what lands: every raw table matches a load at the vendors' page sizes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from connectors.__main__ import main as connectors_main
from connectors.fakes.suite import BULK_PAGE_SCALE, start_fakes
from connectors.registry import CONNECTORS

#: page sizes the connectors ask for in both loads (bulk mode multiplies them)
SMALL_PAGES = {"HARVEST_PAGE_SIZE": "10", "JIRA_PAGE_SIZE": "20", "PAGERDUTY_PAGE_SIZE": "25",
               "ZENDESK_EXPORT_PAGE_SIZE": "20", "ZENDESK_PAGE_SIZE": "10"}
#: what a load stamps on its rows, not what the source said
LOAD_METADATA = {"_loaded_at", "_batch_id", "_deleted_at"}


def _load_all(store: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch, *, bulk: bool,
              ports: dict[str, int] | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Every source's first pull into ``warehouse``; (ports the fakes used, requests per source)."""
    with start_fakes(store, ports=ports, bulk=bulk) as suite:
        # Zendesk's export limit is not what is compared: lifted in both loads (small pages
        # would otherwise wait out a minute per 30 requests).
        suite.apis["zendesk"].set_rate_limits(export=None, account=None)
        with monkeypatch.context() as env:
            for key, value in suite.env.items():
                env.setenv(key, value)
            env.setenv("ZENDESK_MAX_EXPORT_REQUESTS_PER_MINUTE", "1000000")
            env.setenv("ITOPS_WAREHOUSE", str(warehouse))
            # Small pages, so that both loads follow next links, cursors and keysets page after page.
            for name, size in SMALL_PAGES.items():
                env.setenv(name, size)
            for source in CONNECTORS:
                assert connectors_main(["load", source]) == 0, source
        used = {name: urlsplit(api.url).port for name, api in suite.apis.items()}
        requests = {name: len(api.requests) for name, api in suite.apis.items()}
    return used, requests


def _raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [f'{schema}."{name}"' for schema, name in con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema like 'raw\\_%' escape '\\' and table_schema <> 'raw_meta' order by 1, 2").fetchall()]


def test_bulk_mode_lands_exactly_what_vendor_sized_pages_land(tiny_store: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    vendor, bulk = tmp_path / "vendor.duckdb", tmp_path / "bulk.duckdb"
    # Same ports for both runs: records embed the instance URL (reference links, self links).
    ports, vendor_requests = _load_all(tiny_store, vendor, monkeypatch, bulk=False)
    _, bulk_requests = _load_all(tiny_store, bulk, monkeypatch, bulk=True, ports=ports)

    # Bulk mode must really page differently where it scales pages (else this test proves nothing).
    for source in ("jira", "harvest"):
        assert bulk_requests[source] < vendor_requests[source], source
    assert set(BULK_PAGE_SCALE) <= set(CONNECTORS)

    con = duckdb.connect()
    con.execute(f"attach '{vendor}' as vendor (read_only)")
    con.execute(f"attach '{bulk}' as bulk (read_only)")
    vendor_tables = _raw_tables(con.cursor().execute("use vendor"))
    assert vendor_tables == _raw_tables(con.cursor().execute("use bulk"))
    compared = 0
    for table in vendor_tables:
        columns = [c for (c,) in con.execute(
            f"select column_name from (describe vendor.{table})").fetchall() if c not in LOAD_METADATA]
        cols = ", ".join(f'"{c}"::varchar' for c in columns)
        (only_vendor,) = con.execute(
            f"select count(*) from (select {cols} from vendor.{table} except all select {cols} from bulk.{table})"
        ).fetchone()
        (only_bulk,) = con.execute(
            f"select count(*) from (select {cols} from bulk.{table} except all select {cols} from vendor.{table})"
        ).fetchone()
        assert (only_vendor, only_bulk) == (0, 0), table
        compared += con.execute(f"select count(*) from vendor.{table}").fetchone()[0]
    assert compared > 1000
    # Nothing was quarantined in either load (a difference would hide there).
    for db in ("vendor", "bulk"):
        assert con.execute(f"select count(*) from {db}.raw_meta.quarantine").fetchone()[0] == 0
