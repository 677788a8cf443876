"""A small JQL interpreter for the fake Jira: JQL text -> a DuckDB predicate and ORDER BY.

Covers what connectors send and the traps they must avoid (source-apis.md section 3):

* clauses ``field op value`` with ``= != > >= < <= IN / NOT IN / IS [NOT] EMPTY``,
  combined with ``AND`` / ``OR`` / ``NOT`` and parentheses, then ``ORDER BY f [ASC|DESC], ...``
  (at most 7 fields);
* date fields (``updated``, ``created``, ``resolved``) compared with **epoch milliseconds**
  (``updated >= 1732877091000``), with ``"yyyy/MM/dd HH:mm"`` / ``"yyyy-MM-dd"`` literals read
  **in the API user's profile time zone** at minute precision (the reason connectors must send
  epoch millis), and with relative offsets (``-1d``, ``-4h``, ``-30m``, ``-2w``) from now;
* ``id`` / ``key`` / ``issuekey`` comparisons (``id > 10042``; ``key > ITSD-12`` within a project);
* ``project``, ``status``, ``statusCategory``, ``issuetype``, ``priority`` by name, key or id.

A query without any restriction (only ``ORDER BY``, or empty) is rejected as Jira Cloud's
``/search/jql`` does: it is *unbounded*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
MAX_ORDER_FIELDS = 7

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|=|>|<|~)
      | (?P<punct>[(),])
      | (?P<word>[^\s"'(),=!<>~]+)
    )""",
    re.X,
)
_RELATIVE = re.compile(r"^([+-]?)(\d+)([wdhm])$", re.I)
_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")


class JQLError(ValueError):
    """The query is not valid JQL here; the message is Jira's ``errorMessages`` text."""


@dataclass(frozen=True)
class Token:
    kind: str  # string | op | punct | word
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text

    @property
    def value(self) -> str:
        if self.kind == "string":
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        return self.text


def tokenize(jql: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(jql):
        if jql[pos:].strip() == "":
            break
        match = _TOKEN.match(jql, pos)
        if match is None or match.end() == pos:
            raise JQLError(f"Error in the JQL Query: The character '{jql[pos]}' is a reserved JQL character. "
                           f"(line 1, character {pos + 1})")
        kind = match.lastgroup or "word"
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


@dataclass
class Columns:
    """How JQL fields map onto the fake's snapshot columns."""

    time_zone: str
    now_ms: int
    dates: dict[str, str] = field(default_factory=lambda: {
        "updated": "updated_ms", "updateddate": "updated_ms",
        "created": "created_ms", "createddate": "created_ms",
        "resolved": "resolved_ms", "resolutiondate": "resolved_ms",
    })


@dataclass
class Translation:
    where: str
    params: dict[str, object]
    order_by: str


class _Parser:
    def __init__(self, tokens: list[Token], columns: Columns) -> None:
        self.tokens = tokens
        self.i = 0
        self.columns = columns
        self.params: dict[str, object] = {}

    # -- token helpers ---------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise JQLError("Error in the JQL Query: Expecting either a value, list or function but got end of query.")
        self.i += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.upper in words

    def expect_punct(self, text: str) -> None:
        token = self.next()
        if token.kind != "punct" or token.text != text:
            raise JQLError(f"Error in the JQL Query: Expecting '{text}' but got '{token.text}'. "
                           f"(line 1, character {token.pos + 1})")

    def param(self, value: object) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    # -- grammar ---------------------------------------------------------------------------------

    def query(self) -> Translation:
        if self.peek() is None or (self.at_word("ORDER") and self._is_order_by()):
            raise JQLError(UNBOUNDED)  # no restriction before ORDER BY
        where = self.or_expr()
        order = "issue_id asc"
        if self.at_word("ORDER"):
            order = self.order_by()
        if self.peek() is not None:
            token = self.peek()
            raise JQLError(f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{token.text}'. "
                           f"(line 1, character {token.pos + 1})")
        return Translation(where, self.params, order)

    def _is_order_by(self) -> bool:
        token = self.peek(1)
        return token is not None and token.kind == "word" and token.upper == "BY"

    def or_expr(self) -> str:
        parts = [self.and_expr()]
        while self.at_word("OR"):
            self.next()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"

    def and_expr(self) -> str:
        parts = [self.not_expr()]
        while self.at_word("AND"):
            self.next()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def not_expr(self) -> str:
        if self.at_word("NOT"):
            self.next()
            return f"(not coalesce({self.not_expr()}, false))"
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text == "(":
            self.next()
            inner = self.or_expr()
            self.expect_punct(")")
            return inner
        return self.clause()

    def clause(self) -> str:
        name_token = self.next()
        if name_token.kind not in ("word", "string"):
            raise JQLError(f"Error in the JQL Query: Expecting a field name but got '{name_token.text}'. "
                           f"(line 1, character {name_token.pos + 1})")
        name = name_token.value.lower()
        op_token = self.next()
        if op_token.kind == "op":
            op = op_token.text
        elif op_token.kind == "word" and op_token.upper in ("IN", "IS"):
            op = op_token.upper
            if op == "IS" and self.at_word("NOT"):
                self.next()
                op = "IS NOT"
        elif op_token.kind == "word" and op_token.upper == "NOT" and self.at_word("IN"):
            self.next()
            op = "NOT IN"
        else:
            raise JQLError(f"Error in the JQL Query: Expecting operator but got '{op_token.text}'. "
                           f"(line 1, character {op_token.pos + 1})")
        if op in ("IS", "IS NOT"):
            if not self.at_word("EMPTY", "NULL"):
                raise JQLError("Error in the JQL Query: Expecting 'EMPTY' or 'NULL' after 'IS'.")
            self.next()
            return self._empty(name, negate=op == "IS NOT")
        values = self.values() if op in ("IN", "NOT IN") else [self.value()]
        return self._compare(name, op, values)

    def value(self) -> str:
        token = self.next()
        if token.kind not in ("word", "string"):
            raise JQLError(f"Error in the JQL Query: Expecting either a value, list or function but got "
                           f"'{token.text}'. (line 1, character {token.pos + 1})")
        text = token.value
        nxt = self.peek()
        if token.kind == "word" and nxt is not None and nxt.kind == "punct" and nxt.text == "(":
            self.next()
            self.expect_punct(")")  # functions without arguments: now(), currentUser() ...
            return text + "()"
        return text

    def values(self) -> list[str]:
        self.expect_punct("(")
        out = [self.value()]
        while True:
            token = self.next()
            if token.kind == "punct" and token.text == ")":
                return out
            if token.kind != "punct" or token.text != ",":
                raise JQLError(f"Error in the JQL Query: Expecting ',' or ')' but got '{token.text}'.")
            out.append(self.value())

    def order_by(self) -> str:
        self.next()  # ORDER
        self.next()  # BY
        parts: list[str] = []
        while True:
            token = self.next()
            columns = _order_columns(token.value.lower())
            if columns is None:
                raise JQLError(f"Not able to sort using field '{token.value}'.")
            direction = "asc"
            if self.at_word("ASC", "DESC"):
                direction = self.next().upper.lower()
            parts.extend(f"{c} {direction}" for c in columns)
            if len(parts) > MAX_ORDER_FIELDS:
                raise JQLError(f"The ORDER BY clause can contain at most {MAX_ORDER_FIELDS} fields.")
            nxt = self.peek()
            if nxt is not None and nxt.kind == "punct" and nxt.text == ",":
                self.next()
                continue
            break
        return ", ".join([*parts, "issue_id asc"])

    # -- clause semantics ------------------------------------------------------------------------

    def _empty(self, name: str, *, negate: bool) -> str:
        column = self.columns.dates.get(name) or {"assignee": "assignee_account_id",
                                                   "resolution": "resolved_ms"}.get(name)
        if column is None:
            raise _unknown_field(name)
        return f"({column} is {'not ' if negate else ''}null)"

    def _compare(self, name: str, op: str, values: list[str]) -> str:
        if name in self.columns.dates:
            return self._compare_date(self.columns.dates[name], op, values)
        if name in ("id", "key", "issuekey", "issue"):
            return self._compare_issue(op, values)
        text_columns = {
            "project": ("project_key", "project_name", "project_id"),
            "status": ("status_name", "status_id"),
            "statuscategory": ("status_category_name", "status_category_key", "status_category_id"),
            "issuetype": ("issuetype_name", "issuetype_id"),
            "type": ("issuetype_name", "issuetype_id"),
            "priority": ("priority_name", "priority_id"),
            "assignee": ("assignee_account_id",),
        }
        if name not in text_columns:
            raise _unknown_field(name)
        if op not in ("=", "!=", "IN", "NOT IN"):
            raise JQLError(f"The operator '{op}' is not supported by the '{name}' field.")
        matches = []
        for value in values:
            mark = self.param(value.lower())
            matches.append("(" + " or ".join(f"lower({c}) = {mark}" for c in text_columns[name]) + ")")
        any_match = "(" + " or ".join(matches) + ")"
        return f"(not {any_match})" if op in ("!=", "NOT IN") else any_match

    def _compare_date(self, column: str, op: str, values: list[str]) -> str:
        instants = [self._instant(v) for v in values]
        if op in ("IN", "NOT IN"):
            marks = ", ".join(self.param(ms) for ms in instants)
            return f"({column} {'not ' if op == 'NOT IN' else ''}in ({marks}))"
        if op in ("~", "!~"):
            raise JQLError(f"The operator '{op}' is not supported by the date field.")
        return f"({column} {'<>' if op == '!=' else op} {self.param(instants[0])})"

    def _instant(self, text: str) -> int:
        """A JQL date value as epoch milliseconds."""
        if re.fullmatch(r"-?\d+", text):
            return int(text)  # epoch milliseconds: exact, time-zone free
        if text.lower() == "now()":
            return self.columns.now_ms
        relative = _RELATIVE.match(text)
        if relative:
            sign = -1 if relative.group(1) == "-" else 1
            unit = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
                    "m": timedelta(minutes=1)}[relative.group(3).lower()]
            delta = sign * int(relative.group(2)) * unit
            return self.columns.now_ms + int(delta.total_seconds() * 1000)
        for fmt in _DATE_FORMATS:
            try:
                local = datetime.strptime(text, fmt)
            except ValueError:
                continue
            # Date literals mean the *calling user's profile time zone*, minute precision.
            return int(local.replace(tzinfo=ZoneInfo(self.columns.time_zone)).timestamp() * 1000)
        raise JQLError(f"Date value '{text}' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
                       "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.")

    def _compare_issue(self, op: str, values: list[str]) -> str:
        if op in ("IN", "NOT IN"):
            parts = [self._compare_issue("=", [v]) for v in values]
            any_match = "(" + " or ".join(parts) + ")"
            return f"(not {any_match})" if op == "NOT IN" else any_match
        if op in ("~", "!~"):
            raise JQLError(f"The operator '{op}' is not supported by the 'issuekey' field.")
        sql_op = "<>" if op == "!=" else op
        value = values[0]
        if re.fullmatch(r"\d+", value):
            return f"(issue_id {sql_op} {self.param(int(value))})"
        key = _KEY.match(value)
        if key is None:
            raise JQLError(f"The issue key '{value}' for field 'key' is invalid.")
        project, number = self.param(key.group(1).upper()), self.param(int(key.group(2)))
        if op in ("=", "!="):
            match = f"(upper(project_key) = {project} and key_number = {number})"
            return match if op == "=" else f"(not {match})"
        return f"(upper(project_key) = {project} and key_number {sql_op} {number})"


def _unknown_field(name: str) -> JQLError:
    return JQLError(f"Field '{name}' does not exist or you do not have permission to view it.")


def _order_columns(name: str) -> list[str] | None:
    return {
        "updated": ["updated_ms"], "updateddate": ["updated_ms"],
        "created": ["created_ms"], "createddate": ["created_ms"],
        "resolved": ["resolved_ms"], "resolutiondate": ["resolved_ms"],
        "id": ["issue_id"], "key": ["project_key", "key_number"], "issuekey": ["project_key", "key_number"],
        "priority": ["priority_rank"], "status": ["status_name"], "project": ["project_key"],
    }.get(name)


def translate(jql: str | None, columns: Columns) -> Translation:
    """JQL -> (predicate, parameters, ORDER BY). Raises :class:`JQLError` with Jira's message."""
    tokens = tokenize(jql or "")
    if not tokens:
        raise JQLError(UNBOUNDED)
    return _Parser(tokens, columns).query()
