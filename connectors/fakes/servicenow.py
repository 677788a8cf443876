"""Fake ServiceNow Table API (``/api/now/table/{table}``, ``/api/now/v1|v2/table/{table}``).

Wire format per source-apis.md section 1: ``{"result": [...]}`` envelopes; every
value a string, empty values ``""``; reference fields ``{"link", "value"}`` (or the
bare sys_id with ``sysparm_exclude_reference_link=true``), empty references ``""``;
``YYYY-MM-DD HH:MM:SS`` UTC datetimes; offset paging with ``Link`` (first/prev/next/last,
prev carrying offset -1 on the first page) and ``X-Total-Count`` headers; v1 answers
404 on an empty result, v2 ``200 []``; encoded queries with ``^``, ``^OR``, ``^NQ`` and
``ORDERBY``/``ORDERBYDESC``, unknown fields silently ignored; Basic or Bearer auth.

ACLs are simulated two ways: ``acl_hidden[table]`` is a row predicate whose matches
occupy their place in the ``sysparm_limit`` window but are not returned (the limit is
applied before ACL evaluation), so pages come back short or empty mid-stream;
``denied_tables`` answers 403 for a whole table (e.g. ``sys_audit_delete``, readable
only with extra roles on real instances).

:meth:`FakeServiceNow.delete_record` deletes a record *now*, as a user would: it leaves
its table (with the task_sla and metric_instance rows of an incident), and
``sys_audit_delete`` gains a row for each, stamped with the store's clock.
"""

from __future__ import annotations

import itertools
import re
import threading
from urllib.parse import urlencode

from connectors.fakes import servicenow_tables
from connectors.fakes.base import FakeAPI, OrgStore, Request, Response, basic_credentials, bearer_token, used_params
from connectors.fakes.servicenow_sql import SNAP_REF, TableDef

#: stands for the instance URL in pre-rendered rows; replaced per response (the host varies)
BASE_MARK = "@@ITOPS_FAKE_BASE@@"

# -- encoded queries -------------------------------------------------------------------------------

_OPERATORS = ["ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "ENDSWITH", "NOT LIKE", "LIKE", "NOT IN", "IN",
              ">=", "<=", "!=", ">", "<", "="]
_CONDITION = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(" + "|".join(re.escape(o) for o in _OPERATORS) + r")(.*)$",
                        re.S)


def translate_query(encoded: str, fields: set[str]) -> tuple[str, list[str], list[tuple[str, bool]]]:
    """Encoded query -> (SQL predicate, parameters, order by [(field, descending)]).

    Conditions on unknown fields are dropped, as ServiceNow silently ignores them
    (unless glide.invalid_query.returns_no_rows is set).
    """
    params: list[str] = []
    order: list[tuple[str, bool]] = []
    queries: list[str] = []
    for block in encoded.split("^NQ") if encoded else []:
        groups: list[list[str]] = []
        for part in block.split("^"):
            if not part:
                continue
            is_or = part.startswith("OR") and _CONDITION.match(part[2:]) is not None and not part.startswith("ORDERBY")
            if part.startswith("ORDERBYDESC"):
                name = part[len("ORDERBYDESC"):]
                if name in fields:
                    order.append((name, True))
                continue
            if part.startswith("ORDERBY"):
                name = part[len("ORDERBY"):]
                if name in fields:
                    order.append((name, False))
                continue
            condition = part[2:] if is_or else part
            sql = _condition_sql(condition, fields, params)
            if sql is None:
                continue
            if is_or and groups:
                groups[-1].append(sql)
            else:
                groups.append([sql])
        if groups:
            queries.append(" and ".join("(" + " or ".join(g) + ")" for g in groups))
    where = " or ".join(f"({q})" for q in queries) if queries else "true"
    return where, params, order


def _condition_sql(condition: str, fields: set[str], params: list[str]) -> str | None:
    match = _CONDITION.match(condition)
    if not match:
        return None
    name, op, value = match.groups()
    if name not in fields:
        return None
    col = f'"{name}"'
    if op == "ISEMPTY":
        return f"{col} = ''"
    if op == "ISNOTEMPTY":
        return f"{col} <> ''"
    if op in ("IN", "NOT IN"):
        items = value.split(",")
        params.extend(items)
        marks = ", ".join("?" for _ in items)
        return f"{col} {'not ' if op == 'NOT IN' else ''}in ({marks})"
    if op == "STARTSWITH":
        params.append(value)
        return f"starts_with({col}, ?)"
    if op == "ENDSWITH":
        params.append(value)
        return f"ends_with({col}, ?)"
    if op in ("LIKE", "NOT LIKE"):
        params.append(value)
        return f"{'not ' if op == 'NOT LIKE' else ''}contains({col}, ?)"
    params.append(value)
    sql_op = "<>" if op == "!=" else op
    # Numbers compare as numbers, everything else (incl. 'YYYY-MM-DD HH:MM:SS') as text.
    if re.fullmatch(r"-?\d+(\.\d+)?", value) and name not in ("sys_id", "number"):
        return f"try_cast(nullif({col}, '') as double) {sql_op} cast(? as double)"
    return f"{col} {sql_op} ?"


# -- the fake ----------------------------------------------------------------------------------------

_instances = itertools.count(1)


class FakeServiceNow(FakeAPI):
    name = "servicenow"

    def __init__(self, store: OrgStore, *, username: str = "itops", password: str = "secret-sn-password",
                 token: str | None = None, tables: dict[str, TableDef] | None = None,
                 internal: dict[str, str] | None = None, **kwargs) -> None:
        self.username, self.password, self.token = username, password, token
        #: table -> SQL predicate over its fields marking rows the API user may not see
        self.acl_hidden: dict[str, str] = {}
        #: tables the API user may not read at all (403)
        self.denied_tables: set[str] = set()
        self.tables = tables if tables is not None else servicenow_tables.TABLES
        self.internal = internal if internal is not None else servicenow_tables.INTERNAL
        # The snapshot namespace is per table set, so a store can back fakes of different shapes.
        self._namespace = f"sn{id(self.tables)}"
        self._deletes = f"memory.snap.sn_runtime_deletes_{next(_instances)}"
        self._deletes_lock = threading.Lock()
        store.cursor().execute(
            f"create table {self._deletes} (tablename varchar, documentkey varchar, display_value varchar, "
            "deleted_at timestamptz)"
        )
        super().__init__(store, **kwargs)

    def routes(self):
        return [
            ("GET", r"/api/now/(?:(?P<version>v[12])/)?table/(?P<table>[a-z_0-9]+)", self.list_table),
            ("GET", r"/api/now/(?:(?P<version>v[12])/)?table/(?P<table>[a-z_0-9]+)/(?P<record>[0-9a-f]{32})",
             self.get_record),
        ]

    def authorize(self, request: Request) -> Response | None:
        creds = basic_credentials(request)
        if creds == (self.username, self.password):
            return None
        if self.token is not None and bearer_token(request) == self.token:
            return None
        return Response(401, {"error": {"message": "User Not Authenticated",
                                        "detail": "Required to provide Auth information"}, "status": "failure"})

    def error_body(self, status: int) -> dict:
        if status == 429:
            return {"error": {"message": "Rate limit exceeded",
                              "detail": "Rate limit of 10 requests per hour for Table API exceeded"},
                    "status": "failure"}
        return {"error": {"message": f"HTTP {status}", "detail": ""}, "status": "failure"}

    # -- snapshots -------------------------------------------------------------------------------

    def _materialise(self, name: str, sql: str, order_by: str | None = None) -> str:
        """Build ``sql`` for the current clock, first building the snapshots it reads (``@snap(x)``)."""
        resolved = SNAP_REF.sub(lambda m: self._materialise(f"i_{m.group(1)}", self.internal[m.group(1)]), sql)
        return self.store.snapshot(f"{self._namespace}_{name}", resolved, order_by)

    def _relation(self, table: str) -> tuple[str, TableDef] | None:
        """The rows of ``table`` visible now: its snapshot without records deleted at run time
        (and, for sys_audit_delete, with their audit rows)."""
        definition = self.tables.get(table)
        if definition is None:
            return None
        # Each row's default JSON (all fields, reference links) is rendered once per clock into
        # ``_doc``, with a placeholder for the host: a page is then one ordered string_agg, which
        # keeps the fake far faster than any client it serves (benchmarks measure the client).
        render = self._render_sql(definition, [f for f, _ in definition.fields], False, base=f"'{BASE_MARK}'")
        stored_order = '"sys_updated_on", "sys_id"' \
            if {"sys_updated_on", "sys_id"} <= {f for f, _ in definition.fields} else None
        snapshot = self._materialise(
            table, f"select *, {render}::varchar as _doc from ({definition.snapshot_sql})", stored_order)
        names = ", ".join(f'"{f}"' for f, _ in definition.fields) + ", _doc"
        if table == "sys_audit_delete":
            runtime = f"""select md5('sys_audit_delete:' || tablename || ':' || documentkey) as sys_id, tablename,
                                 documentkey, display_value, '' as payload,
                                 strftime(deleted_at, '%Y-%m-%d %H:%M:%S') as sys_created_on,
                                 'admin' as sys_created_by,
                                 strftime(deleted_at, '%Y-%m-%d %H:%M:%S') as sys_updated_on,
                                 'admin' as sys_updated_by, '0' as sys_mod_count
                          from {self._deletes}"""
            runtime = f"select *, {render}::varchar as _doc from ({runtime})"
            return f"(select {names} from {snapshot} union all by name {runtime})", definition
        gone = f"select documentkey from {self._deletes} where tablename = '{table}'"
        return f"(select {names} from {snapshot} where sys_id not in ({gone}))", definition

    def delete_record(self, table: str, record: str) -> int:
        """Delete a record at the store's clock, cascading to the rows that belong to it.

        Returns the number of records deleted (0 when it does not exist)."""
        relation = self._relation(table)
        if relation is None:
            raise KeyError(f"unknown table {table}")
        cur = self.store.cursor()
        rows: list[tuple[str, str, str]] = []
        display = "number" if any(f == "number" for f, _ in relation[1].fields) else "''"
        found = cur.execute(f"select sys_id, {display} from {relation[0]} where sys_id = ?", [record]).fetchall()
        rows += [(table, sys, str(label)) for sys, label in found]
        if found and table == "incident":
            for child, definition in self.tables.items():
                if definition.parent is None:
                    continue
                child_rel = self._relation(child)
                assert child_rel is not None
                ids = cur.execute(
                    f'select sys_id from {child_rel[0]} where "{definition.parent}" = ?', [record]
                ).fetchall()
                rows += [(child, sys, "") for (sys,) in ids]
        with self._deletes_lock:
            for tablename, key, label in rows:
                cur.execute(f"insert into {self._deletes} values (?, ?, ?, ?)",
                            [tablename, key, label, self.store.clock])
        return len(found)

    # -- endpoints -------------------------------------------------------------------------------

    def _denied(self, table: str) -> Response | None:
        if table in self.denied_tables:
            return Response(403, {"error": {"message": "User Not Authorized",
                                            "detail": f"Insufficient rights to read table {table}"},
                                  "status": "failure"})
        return None

    def list_table(self, request: Request, table: str, version: str | None = None) -> Response:
        denied = self._denied(table)
        if denied is not None:
            return denied
        rel = self._relation(table)
        if rel is None:
            return Response(400, {"error": {"message": "Invalid table " + table, "detail": ""}, "status": "failure"})
        relation, definition = rel
        all_fields = [f for f, _ in definition.fields]
        field_set = set(all_fields)
        wanted = [f for f in (request.arg("sysparm_fields") or "").split(",") if f in field_set] or all_fields
        limit = int(request.arg("sysparm_limit") or 10000)
        offset = max(int(request.arg("sysparm_offset") or 0), 0)
        where, params, order = translate_query(request.arg("sysparm_query") or "", field_set)
        order_sql = ", ".join(f'"{f}" {"desc" if d else "asc"}' for f, d in order) or '"sys_id"'
        cur = self.store.cursor()
        (total,) = cur.execute(f"select count(*) from {relation} where {where}", params).fetchone()
        hidden = f"({self.acl_hidden[table]})" if table in self.acl_hidden else "false"
        exclude_links = (request.arg("sysparm_exclude_reference_link") or "false").lower() == "true"
        prerendered = wanted == all_fields and not exclude_links
        render = "_doc" if prerendered else f"{self._render_sql(definition, wanted, exclude_links)}::varchar"
        base = self._base(request)
        named = {f"p{i}": v for i, v in enumerate(params)}
        where_named = _number_params(where)
        # A page is found by its sort keys first (the top-N heap holds keys, not every remaining
        # row's JSON), then its documents are read by sys_id within the page's range of the first
        # sort field. Snapshots are stored in (sys_updated_on, sys_id) order, so the keyset pages
        # connectors read touch only their own row groups; carrying each row's JSON through the
        # sort made a page of a multi-million-row table cost a scan of all of them.
        # The limit window is taken before ACL evaluation (hidden rows keep their place).
        keys = list(dict.fromkeys([f for f, _ in order] + ["sys_id"]))
        key_cols = ", ".join(f'"{f}"' for f in keys)
        keys_sql = f"""select {key_cols}, ({hidden}) as _hidden from {relation} where {where_named}
                       order by {order_sql} limit {limit} offset {offset}"""
        page = [row for row in cur.execute(keys_sql, used_params(keys_sql, named)).fetchall() if not row[-1]]
        rows = ""
        if page:
            first, at_id = keys[0], keys.index("sys_id")
            firsts = [row[0] for row in page]
            in_range = "true" if None in firsts else \
                f'"{first}" between {_literal(min(firsts))} and {_literal(max(firsts))}'
            docs_sql = f"""select coalesce(string_agg(doc, ',' order by {order_sql}, "sys_id"), '') from (
                        select {render} as doc, * exclude (_doc) from {relation}
                        where {in_range} and "sys_id" in (select unnest($ids::varchar[])))"""
            params_docs = {"ids": [row[at_id] for row in page], "base": base}
            rows = cur.execute(docs_sql, used_params(docs_sql, params_docs)).fetchone()[0]
        if prerendered:
            rows = rows.replace(BASE_MARK, base)
        headers = {"X-Total-Count": str(total)}
        if (request.arg("sysparm_suppress_pagination_header") or "false").lower() != "true":
            headers["Link"] = self._links(request, base, table, limit, offset, total)
        if version == "v1" and total == 0:
            return Response(404, {"error": {"message": "No Record found",
                                            "detail": "Records matching query not found. Check query parameter "
                                                      "or offset parameter"}, "status": "failure"}, headers)
        return Response(200, '{"result":[' + rows + "]}", headers)

    def get_record(self, request: Request, table: str, record: str, version: str | None = None) -> Response:
        denied = self._denied(table)
        if denied is not None:
            return denied
        rel = self._relation(table)
        if rel is None:
            return Response(400, {"error": {"message": "Invalid table " + table}, "status": "failure"})
        relation, _ = rel
        row = self.store.cursor().execute(f"select _doc from {relation} where sys_id = $id", {"id": record}).fetchone()
        if row is None:
            return Response(404, {"error": {"message": "No Record found", "detail": "Record doesn't exist or ACL "
                                            "restricts the record retrieval"}, "status": "failure"})
        return Response(200, '{"result":' + row[0].replace(BASE_MARK, self._base(request)) + "}")

    def _render_sql(self, definition: TableDef, fields: list[str], exclude_links: bool,
                    base: str = "$base") -> str:
        refs = dict(definition.fields)
        parts = []
        for name in fields:
            ref = refs.get(name)
            col = f'"{name}"'
            if ref is None or exclude_links:
                parts.append(f"'{name}', {col}")
            else:
                parts.append(
                    f"'{name}', case when {col} = '' then to_json('') else "
                    f"json_object('link', {base} || '/api/now/table/{ref}/' || {col}, 'value', {col}) end"
                )
        return "json_object(" + ", ".join(parts) + ")"

    def _base(self, request: Request) -> str:
        return "http://" + request.headers.get("host", "127.0.0.1")

    def _links(self, request: Request, base: str, table: str, limit: int, offset: int, total: int) -> str:
        def link(off: int, rel: str) -> str:
            query = {k: v[0] for k, v in request.query.items()}
            query.update(sysparm_offset=str(off), sysparm_limit=str(limit))
            return f"<{base}{request.path}?{urlencode(query)}>;rel=\"{rel}\""

        links = [link(0, "first")]
        links.append(link(offset - limit if offset >= limit else -1, "prev"))
        if offset + limit < total:
            links.append(link(offset + limit, "next"))
        last = max(((total - 1) // limit) * limit, 0) if total else 0
        links.append(link(last, "last"))
        return ",".join(links)


def _literal(value: object) -> str:
    """A SQL literal of a field value (every Table API field is text): constants, unlike
    parameters, let DuckDB skip row groups by their min/max."""
    return "null" if value is None else "'" + str(value).replace("'", "''") + "'"


def _number_params(where: str) -> str:
    """Turn positional ``?`` marks into ``$p0, $p1 ...`` so they mix with named parameters."""
    counter = iter(range(10_000))
    return re.sub(r"\?", lambda _: f"$p{next(counter)}", where)
