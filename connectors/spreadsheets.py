"""Loading the spreadsheets folder (``ITOPS_FILES_DIR``): budgets, headcount, targets, calendars.

Teams keep part of what KPIs need in Excel: budgets, people no tool knows about, KPI and
SLA targets, working hours and holidays. Files of known kinds (see
:mod:`connectors.spreadsheet_kinds` and docs/spreadsheets.md) are read from one folder,
CSV (UTF-8, comma or semicolon separated) or XLSX (first worksheet), and loaded into
``raw_spreadsheets.<kind>`` with strict validation:

* the whole file is checked before anything is written: header (unknown, missing or
  duplicated columns), every cell's type, every row rule, uniqueness and overlaps
  within the file and against the other files of its kind already in force;
* a bad file is rejected as a whole, with messages naming the file, the row (as the
  spreadsheet shows it: the header is row 1) and the column; the version of that
  file loaded before stays in force, untouched;
* a good file replaces its previous version atomically: its rows, keyed by file
  name, and its content hash (``raw_spreadsheets._files``) change in one transaction;
* a file whose content hash is unchanged is skipped; a file removed from the folder
  has its rows removed.

Parsing cells is per-row Python (csv / openpyxl hand us rows); everything after that is
one Arrow table of text columns, validated and typed in DuckDB in bulk.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors.core.config import env
from connectors.core.errors import ConfigError
from connectors.spreadsheet_kinds import DUCKDB_TYPES, KINDS, WEEKDAYS, Column, FileKind, kind_of

log = logging.getLogger("itops.spreadsheets")

SOURCE = "spreadsheets"
SCHEMA = "raw_spreadsheets"
EXTENSIONS = (".csv", ".xlsx")
MAX_ERRORS = 20


@dataclass
class FileOutcome:
    """What happened to one file: loaded, unchanged, rejected, removed or ignored."""

    file: str
    kind: str | None
    status: str
    rows: int = 0
    sha256: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        if not self.errors:
            return f"{self.file}: {self.status}" + (f" ({self.rows} rows)" if self.rows else "")
        more = len(self.errors) - 1
        return self.errors[0] + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


@dataclass
class LoadReport:
    folder: Path
    outcomes: list[FileOutcome] = field(default_factory=list)

    def by_status(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def rejected(self) -> list[FileOutcome]:
        return self.by_status("rejected")


class SpreadsheetRejected(Exception):
    """A file broke the contract; ``errors`` are 'file: row R, column C: problem' lines."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0] if errors else "rejected")
        self.errors = errors


def files_dir() -> Path | None:
    """``ITOPS_FILES_DIR`` (None when unset)."""
    raw = env("ITOPS_FILES_DIR")
    return Path(raw).expanduser().resolve() if raw else None


# -- tables ------------------------------------------------------------------------------------------


def kind_columns(kind: FileKind) -> list[tuple[str, str]]:
    """(name, DuckDB type) of the typed columns a kind stores, derived ones included."""
    cols = [(c.name, DUCKDB_TYPES[c.type]) for c in kind.columns]
    return cols + [(name, typ) for name, (_, typ) in kind.derived.items()]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every kind's raw table and the bookkeeping tables (empty when no folder is set,
    so the dbt staging models always have something to read)."""
    con.execute(f"create schema if not exists {SCHEMA}")
    for kind in KINDS.values():
        cols = "".join(f', "{n}" {t}' for n, t in kind_columns(kind))
        con.execute(f"create table if not exists {SCHEMA}.{kind.name} (_file varchar not null, _row integer not null"
                    f"{cols}, _loaded_at timestamptz not null)")
    con.execute(f"""create table if not exists {SCHEMA}._files (
        file_name varchar primary key, kind varchar not null, sha256 varchar not null, rows integer not null,
        loaded_at timestamptz not null)""")
    con.execute(f"""create table if not exists {SCHEMA}._rejections (
        file_name varchar not null, kind varchar, sha256 varchar not null, rejected_at timestamptz not null,
        message varchar not null, errors varchar[] not null)""")


# -- reading files into text rows -------------------------------------------------------------------------


def normalise_header(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lower())


def read_csv_rows(data: bytes, file_name: str) -> Iterator[tuple[int, list[str | None]]]:
    """(spreadsheet row number, cells) of a CSV file; the header is row 1."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpreadsheetRejected([f"{file_name}: is not UTF-8 text (byte {exc.start}); save it as "
                                   "'CSV UTF-8' or as .xlsx"]) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [c if c.strip() else None for c in cells]
    except csv.Error as exc:
        raise SpreadsheetRejected([f"{file_name}: row {reader.line_num}: not valid CSV ({exc})"]) from None


def _cell_text(value: object) -> str | None:
    """An XLSX cell as the text a CSV would hold (dates ISO, whole numbers without .0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M") if not value.second else value.strftime("%H:%M:%S")
    text = str(value).strip()
    return text or None


def read_xlsx_rows(data: bytes, file_name: str) -> Iterator[tuple[int, list[str | None]]]:
    """(row number, cells) of the first worksheet of an XLSX workbook."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken zip or XML
        raise SpreadsheetRejected([f"{file_name}: is not a readable .xlsx workbook ({type(exc).__name__}: "
                                   f"{str(exc)[:120]})"]) from None
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in row]
    finally:
        book.close()


def rows_to_arrow(rows: Iterable[tuple[int, list[str | None]]], kind: FileKind, file_name: str) -> pa.Table:
    """Check the header and collect the data rows as text columns (plus ``_row``)."""
    rows = iter(rows)
    header_row = next(rows, None)
    if header_row is None:
        raise SpreadsheetRejected([f"{file_name}: is empty (row 1 must be the header: "
                                   + ", ".join(c.name for c in kind.columns) + ")"])
    raw_header = list(header_row[1])
    while raw_header and raw_header[-1] is None:
        raw_header.pop()  # Excel keeps formatted but empty columns
    header = [normalise_header(h) for h in raw_header]
    known = {c.name for c in kind.columns}
    errors = []
    for position, name in enumerate(header, start=1):
        if not name:
            errors.append(f"{file_name}: row 1, column {position}: the header cell is empty")
        elif name not in known:
            errors.append(f"{file_name}: row 1, column '{name}': unknown column for a {kind.name} file "
                          f"(expected: {', '.join(c.name for c in kind.columns)})")
        elif header.index(name) != position - 1:
            errors.append(f"{file_name}: row 1, column '{name}': appears twice")
    for column in kind.columns:
        if column.required and column.name not in header:
            errors.append(f"{file_name}: row 1, column '{column.name}': required column is missing")
    if errors:
        raise SpreadsheetRejected(errors)
    values: dict[str, list[str | None]] = {c.name: [] for c in kind.columns}
    numbers: list[int] = []
    width = len(header)
    for number, cells in rows:
        if all(c is None for c in cells):
            continue  # blank lines between blocks are common in spreadsheets
        extra = [c for c in cells[width:] if c is not None]
        if extra:
            raise SpreadsheetRejected([f"{file_name}: row {number}: has {width + len(extra)} values but the header "
                                       f"has {width} columns"])
        cells = (cells + [None] * width)[:width]
        numbers.append(number)
        for name, cell in zip(header, cells, strict=True):
            values[name].append(cell.strip() if isinstance(cell, str) else cell)
        for name in known - set(header):
            values[name].append(None)
    columns = {name: pa.array(vals, pa.string()) for name, vals in values.items()}
    columns["_row"] = pa.array(numbers, pa.int32())
    return pa.table(columns)


# -- validation and typing in DuckDB ------------------------------------------------------------------------


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value(col: str) -> str:
    return f"'''' || left(cast(\"{col}\" as varchar), 60) || ''''"


def _type_check(column: Column) -> tuple[str, str]:
    """(SQL true when the non-empty text cell is invalid, SQL message)."""
    v = f'"{column.name}"'
    weekday = "(" + "|".join(WEEKDAYS) + ")"
    checks = {
        "integer": (f"not regexp_full_match({v}, '[+-]?[0-9]+')", "is not a whole number"),
        "decimal": (f"not regexp_full_match({v}, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?')",
                    "is not a number (use . for decimals, no thousands separators)"),
        "date": (f"not regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') or try_cast({v} as date) is null",
                 "is not a date (YYYY-MM-DD)"),
        "boolean": (f"lower({v}) not in ('true', 'false', 'yes', 'no', '1', '0')", "is not true or false"),
        "email": (f"not regexp_full_match({v}, '[^@\\s]+@[^@\\s]+[.][^@\\s]+')", "is not an e-mail address"),
        "choice": (f"lower({v}) not in ({', '.join(_quote(c) for c in column.choices)})",
                   "is not one of: " + ", ".join(column.choices)),
        "time": (f"not regexp_full_match({v}, '([01][0-9]|2[0-3]):[0-5][0-9]|24:00')", "is not a time (HH:MM)"),
        "timezone": (f"{v} not in (select name from pg_timezone_names())",
                     "is not an IANA time zone (e.g. Europe/London)"),
        "period": (f"not regexp_full_match({v}, '[0-9]{{4}}(-Q[1-4]|-(0[1-9]|1[0-2]))?')",
                   "is not a period (YYYY, YYYY-Qn or YYYY-MM)"),
        "currency": (f"not regexp_full_match(upper({v}), '[A-Z]{{3}}')",
                     "is not an ISO 4217 currency code (e.g. USD)"),
        "weekday": (f"lower({v}) not in ({', '.join(_quote(d) for d in WEEKDAYS)})",
                    "is not a weekday (mon, tue, wed, thu, fri, sat, sun)"),
        "weekdays": (f"not regexp_full_match(lower(replace({v}, ' ', '')), '{weekday}(,{weekday})*')",
                     "is not a list of weekdays (e.g. mon,tue,wed,thu)"),
    }
    bad, message = checks.get(column.type, ("false", ""))
    return bad, f"{_value(column.name)} || ' {message}'"


def _typed(column: Column) -> str:
    v = f'"{column.name}"'
    return {
        "integer": f"cast({v} as bigint)",
        "decimal": f"coalesce(try_cast({v} as decimal(18, 4)), cast(cast({v} as double) as decimal(18, 4)))",
        "date": f"cast({v} as date)",
        "boolean": f"lower({v}) in ('true', 'yes', '1')",
        "choice": f"lower({v})",
        "weekday": f"lower({v})",
        "weekdays": f"lower(replace({v}, ' ', ''))",
        "currency": f"upper({v})",
    }.get(column.type, v)


def _range_rules(column: Column) -> list[tuple[str, str]]:
    rules = []
    if column.minimum is not None:
        op = ">" if column.exclusive_minimum else ">="
        rules.append((f'"{column.name}" is null or "{column.name}" {op} {column.minimum}',
                      f"must be {op} {column.minimum:g}"))
    if column.maximum is not None:
        rules.append((f'"{column.name}" is null or "{column.name}" <= {column.maximum}',
                      f"must be <= {column.maximum:g}"))
    return rules


def _errors(con: duckdb.DuckDBPyConnection, parts: list[str], file_name: str) -> list[str]:
    if not parts:
        return []
    rows = con.execute(
        "select _row, col, msg from (" + " union all ".join(parts) + f") order by _row, ord, msg limit {MAX_ERRORS}"
    ).fetchall()
    return [f"{file_name}: row {r}, column '{c}': {m}" for r, c, m in rows]


def validate(con: duckdb.DuckDBPyConnection, kind: FileKind, table: pa.Table, file_name: str) -> str:
    """Check a file's text rows; returns the name of a temp table of its typed rows.

    Raises :class:`SpreadsheetRejected` with every problem found (up to ``MAX_ERRORS``).
    """
    con.register("_sheet_text", table)
    try:
        order = {c.name: i for i, c in enumerate(kind.columns)}
        parts = []
        for column in kind.columns:
            i = order[column.name]
            if column.required:
                parts.append(f"select _row, '{column.name}' as col, {i} as ord, 'is required' as msg "
                             f'from _sheet_text where "{column.name}" is null')
            bad, message = _type_check(column)
            parts.append(f"select _row, '{column.name}' as col, {i} as ord, {message} as msg from _sheet_text "
                         f'where "{column.name}" is not null and ({bad})')
        errors = _errors(con, parts, file_name)
        if errors:
            raise SpreadsheetRejected(errors)
        typed = ", ".join(f'{_typed(c)} as "{c.name}"' for c in kind.columns)
        con.execute(f"create or replace temp table _sheet_typed as select _row, {typed} from _sheet_text")
    finally:
        con.unregister("_sheet_text")
    if kind.derived:
        derived = ", ".join(f'{sql} as "{name}"' for name, (sql, _) in kind.derived.items())
        con.execute(f"create or replace temp table _sheet_typed as select *, {derived} from _sheet_typed")
    _check_rows(con, kind, file_name)
    return "_sheet_typed"


def _check_rows(con: duckdb.DuckDBPyConnection, kind: FileKind, file_name: str) -> None:
    """Row rules, ranges, then uniqueness, overlaps and consistency, within the file and
    against the other files of the same kind in force."""
    order = {c.name: i for i, c in enumerate(kind.columns)}
    parts = []
    for column in kind.columns:
        for ok, message in _range_rules(column):
            parts.append(f"select _row, '{column.name}' as col, {order[column.name]} as ord, "
                         f"{_value(column.name)} || ' {message}' as msg from _sheet_typed where not ({ok})")
    for rule in kind.rules:
        parts.append(f"select _row, '{rule.column}' as col, {order.get(rule.column, 0)} as ord, "
                     f"{_quote(rule.message)} as msg "
                     f"from _sheet_typed where not coalesce({rule.ok}, false)")
    errors = _errors(con, parts, file_name)
    if errors:
        raise SpreadsheetRejected(errors)
    # Everything this file would sit beside: itself, and the other files of its kind in force.
    names = ", ".join(f'"{n}"' for n, _ in kind_columns(kind))
    con.execute(
        f"""create or replace temp table _sheet_all as
            select ? as _file, _row, {names} from _sheet_typed
            union all
            select _file, _row, {names} from {SCHEMA}.{kind.name} where _file <> ?""",
        [file_name, file_name],
    )
    conflicts = []
    others = "(b._file <> ? or b._row < a._row)"

    def other_row(condition: str, column: str, message: str) -> str:
        # name the first conflicting row: in this file if any, else in another file
        return f"""
            select a._row, '{column}' as col, {order.get(column, 0)} as ord, {len(conflicts)} as part,
                   {message} || arg_min(case when b._file = a._file then 'row ' || b._row
                                             else b._file || ' row ' || b._row end,
                                        (b._file <> a._file, b._file, b._row)) as msg
            from _sheet_all a join _sheet_all b on {condition}
            where a._file = ? and {others}
            group by a._row"""

    params: list[object] = []
    if kind.unique:
        same = " and ".join(f'a."{k}" is not distinct from b."{k}"' for k in kind.unique)
        conflicts.append(other_row(same, kind.unique[0],
                                   f"'repeats ({', '.join(kind.unique)}) of '"))
        params += [file_name, file_name]
    if kind.overlap_span:
        start, end = kind.overlap_span
        key = " and ".join(f"{_prefixed(k, 'a')} is not distinct from {_prefixed(k, 'b')}"
                           for k in kind.overlap_key)
        before = "<" if kind.half_open else "<="
        span = (f"{_prefixed(start, 'a')} {before} {_prefixed(end, 'b')} and "
                f"{_prefixed(start, 'b')} {before} {_prefixed(end, 'a')}")
        conflicts.append(other_row(f"{key} and {span} and not (a._file = b._file and a._row = b._row)",
                                   kind.overlap_column, "'overlaps '"))
        params += [file_name, file_name]
    if kind.consistent:
        *group, value = kind.consistent
        same = " and ".join(f'a."{g}" = b."{g}"' for g in group)
        conflicts.append(other_row(f'{same} and a."{value}" <> b."{value}"', value,
                                   f"'differs from the {value} given for the same {', '.join(group)} in '"))
        params += [file_name, file_name]
    if conflicts:
        rows = con.execute(
            "select _row, col, msg from (" + " union all ".join(conflicts)
            + f") order by _row, ord, part limit {MAX_ERRORS}",
            params,
        ).fetchall()
        if rows:
            raise SpreadsheetRejected([f"{file_name}: row {r}, column '{c}': {m}" for r, c, m in rows])


def _prefixed(expression: str, alias: str) -> str:
    """Qualify the kind's column names in an overlap expression with a table alias."""
    names = {c for kind in KINDS.values() for c, _ in kind_columns(kind)}
    return re.sub(r"\b([a-z_]+)\b", lambda m: f'{alias}."{m.group(1)}"' if m.group(1) in names else m.group(1),
                  expression)


# -- loading a folder ----------------------------------------------------------------------------------------


def discover(folder: Path) -> tuple[list[tuple[Path, FileKind]], list[str]]:
    """The files to load (sorted by name) and the names ignored (unknown kind)."""
    files, ignored = [], []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.name.startswith((".", "~$")) or path.suffix.lower() not in EXTENSIONS:
            continue
        kind = kind_of(path.name)
        if kind is None:
            ignored.append(path.name)
        else:
            files.append((path, kind))
    return files, ignored


def load_file(con: duckdb.DuckDBPyConnection, path: Path, kind: FileKind, data: bytes, sha256: str) -> int:
    """Validate one file and, if it is good, replace its previous version; returns its row count."""
    reader = read_xlsx_rows if path.suffix.lower() == ".xlsx" else read_csv_rows
    table = rows_to_arrow(reader(data, path.name), kind, path.name)
    typed = validate(con, kind, table, path.name)
    names = ", ".join(f'"{n}"' for n, _ in kind_columns(kind))
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {SCHEMA}.{kind.name} where _file = ?", [path.name])
        con.execute(f"insert into {SCHEMA}.{kind.name} (_file, _row, {names}, _loaded_at) "
                    f"select ?, _row, {names}, now() from {typed}", [path.name])
        con.execute(f"insert or replace into {SCHEMA}._files values (?, ?, ?, ?, now())",
                    [path.name, kind.name, sha256, table.num_rows])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _sheet_typed")
        con.execute("drop table if exists _sheet_all")
    return table.num_rows


def remove_file(con: duckdb.DuckDBPyConnection, file_name: str, kind: str) -> None:
    con.execute("begin transaction")
    try:
        if kind in KINDS:
            con.execute(f"delete from {SCHEMA}.{kind} where _file = ?", [file_name])
        con.execute(f"delete from {SCHEMA}._files where file_name = ?", [file_name])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def load_folder(con: duckdb.DuckDBPyConnection, folder: Path) -> LoadReport:
    """Bring ``raw_spreadsheets`` in line with the folder, file by file (see the module docstring)."""
    if not folder.is_dir():
        raise ConfigError(f"ITOPS_FILES_DIR={folder} is not a folder", source=SOURCE,
                          hint="create it, or point ITOPS_FILES_DIR at the folder holding the spreadsheets; "
                          "nothing was changed")
    ensure_tables(con)
    report = LoadReport(folder)
    files, ignored = discover(folder)
    report.outcomes += [FileOutcome(name, None, "ignored") for name in ignored]
    in_force = {name: (kind, sha) for name, kind, sha in
                con.execute(f"select file_name, kind, sha256 from {SCHEMA}._files").fetchall()}
    present = {path.name for path, _ in files}
    # Removals first: a file renamed must not conflict with its own former rows.
    for name, (kind, _) in sorted(in_force.items()):
        if name not in present:
            remove_file(con, name, kind)
            report.outcomes.append(FileOutcome(name, kind, "removed"))
            log.info("spreadsheets: %s removed from the folder; its rows are gone", name)
    for path, kind in files:
        data = path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        if in_force.get(path.name) == (kind.name, sha256):
            report.outcomes.append(FileOutcome(path.name, kind.name, "unchanged", sha256=sha256))
            continue
        try:
            rows = load_file(con, path, kind, data, sha256)
        except SpreadsheetRejected as exc:
            outcome = FileOutcome(path.name, kind.name, "rejected", sha256=sha256, errors=exc.errors)
            _record_rejection(con, outcome)
            report.outcomes.append(outcome)
            kept = "the previous version stays in force" if path.name in in_force else "nothing was loaded from it"
            log.warning("spreadsheets: rejected %s; %s", outcome.message, kept)
            continue
        report.outcomes.append(FileOutcome(path.name, kind.name, "loaded", rows=rows, sha256=sha256))
        log.info("spreadsheets: loaded %s (%s, %d rows)", path.name, kind.name, rows)
    return report


def _record_rejection(con: duckdb.DuckDBPyConnection, outcome: FileOutcome) -> None:
    latest = con.execute(
        f"select sha256, message from {SCHEMA}._rejections where file_name = ? order by rejected_at desc limit 1",
        [outcome.file],
    ).fetchall()
    if latest and latest[0] == (outcome.sha256, outcome.message):
        return  # the same bad version seen again: logged once
    con.execute(f"insert into {SCHEMA}._rejections values (?, ?, ?, now(), ?, ?)",
                [outcome.file, outcome.kind, outcome.sha256, outcome.message, outcome.errors])


def folder_fingerprint(folder: Path) -> str:
    """A digest of the loadable files' names and contents (what the sensor compares between ticks)."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path, kind in discover(folder)[0]:
            digest.update(f"{path.name}\0{kind.name}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
