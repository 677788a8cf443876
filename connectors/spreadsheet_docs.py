"""Templates and reference documentation of the spreadsheet file kinds, generated from their definitions.

``python -m connectors.spreadsheet_docs`` rewrites ``docs/spreadsheet-templates/`` (one CSV
and one XLSX template per kind: the header and an example row; the XLSX has drop-down
lists for choice columns and each column's description as a header comment) and the
generated part of ``docs/spreadsheets.md``. A test fails when either is out of date.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime
from pathlib import Path

from connectors.core.config import PROJECT_ROOT
from connectors.spreadsheet_kinds import KINDS, WEEKDAYS, FileKind

TEMPLATES_DIR = PROJECT_ROOT / "docs" / "spreadsheet-templates"
DOC = PROJECT_ROOT / "docs" / "spreadsheets.md"
BEGIN, END = "<!-- BEGIN GENERATED: file kinds -->", "<!-- END GENERATED: file kinds -->"

TYPE_TEXT = {
    "text": "text", "integer": "whole number", "decimal": "number (`.` for decimals)", "date": "date `YYYY-MM-DD`",
    "boolean": "`true`/`false` (or yes/no, 1/0)", "email": "e-mail address", "choice": "one of",
    "time": "time `HH:MM` (`24:00` allowed)", "timezone": "IANA time zone", "currency": "ISO 4217 code",
    "period": "`YYYY`, `YYYY-Qn` or `YYYY-MM`", "weekday": "`mon` .. `sun`", "weekdays": "comma list of `mon` .. `sun`",
}


def template_csv(kind: FileKind) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in kind.columns])
    writer.writerow([c.example for c in kind.columns])
    return out.getvalue()


def write_xlsx_template(kind: FileKind, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = kind.name
    sheet.append([c.name for c in kind.columns])
    sheet.append([c.example or None for c in kind.columns])
    for index, column in enumerate(kind.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.comment = Comment(f"{'Required' if column.required else 'Optional'}. {column.description}", "itops-kpi")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
        choices = column.choices or (WEEKDAYS if column.type == "weekday" else ())
        if choices:
            rule = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=not column.required)
            rule.add(f"{letter}2:{letter}1000")
            sheet.add_data_validation(rule)
        if column.type in ("date", "period", "time", "text", "email", "currency", "weekdays"):
            for row in range(2, 1001):
                sheet.cell(row=row, column=index).number_format = "@"  # keep what is typed as text
    sheet.freeze_panes = "A2"
    book.properties.creator = "itops-kpi"
    book.properties.created = book.properties.modified = datetime(2026, 1, 1)
    book.save(path)


def markdown() -> str:
    """The per-kind reference: name pattern, purpose, columns, rules."""
    parts = []
    for kind in KINDS.values():
        lines = [f"### `{kind.name}`: {kind.title}", "", kind.description, "",
                 f"File names: `{kind.name}.csv`, `{kind.name}_<anything>.xlsx` ... Templates: "
                 f"[CSV](spreadsheet-templates/{kind.name}.csv), [XLSX](spreadsheet-templates/{kind.name}.xlsx).", "",
                 "| Column | Required | Type | Meaning | Example |", "|---|---|---|---|---|"]
        for c in kind.columns:
            kind_text = TYPE_TEXT[c.type]
            if c.choices:
                kind_text += " " + ", ".join(f"`{x}`" for x in c.choices)
            bounds = []
            if c.minimum is not None:
                bounds.append((">" if c.exclusive_minimum else ">=") + f" {c.minimum:g}")
            if c.maximum is not None:
                bounds.append(f"<= {c.maximum:g}")
            if bounds:
                kind_text += " (" + ", ".join(bounds) + ")"
            lines.append(f"| `{c.name}` | {'yes' if c.required else 'no'} | {kind_text} | {c.description} | "
                         f"{('`' + c.example + '`') if c.example else ''} |")
        rules = [f"no two rows share ({', '.join(kind.unique)}), in this file or another `{kind.name}` file"]
        rules += [r.rule for r in kind.rules]
        if kind.overlap_span:
            rules.append(kind.overlap_rule)
        if kind.consistent:
            *group, value = kind.consistent
            rules.append(f"one `{value}` per {', '.join(group)}")
        lines += ["", "Rules: " + "; ".join(rules) + ".", ""]
        parts.append("\n".join(lines))
    return "\n".join(parts)


def render_doc(current: str) -> str:
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n\n{markdown()}\n{END}{tail}"


def main() -> int:
    TEMPLATES_DIR.mkdir(parents=True, exist_ok=True)
    for kind in KINDS.values():
        (TEMPLATES_DIR / f"{kind.name}.csv").write_text(template_csv(kind))
        write_xlsx_template(kind, TEMPLATES_DIR / f"{kind.name}.xlsx")
    DOC.write_text(render_doc(DOC.read_text()))
    print(f"wrote {TEMPLATES_DIR} and {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
