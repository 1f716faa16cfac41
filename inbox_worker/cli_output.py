"""How commands print: `--json` documents, and tables with a header row whose columns stay
aligned however long an address or subject is. Every cell is made safe for a terminal:
subjects, names and addresses come from outside."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import orjson

from inbox_worker.mail.terminal import terminal_safe


def emit(data: Any) -> None:
    """``data`` as indented JSON on stdout. orjson, because with an indent the standard
    library's encoder is its pure-Python one: a third of a second on a ticket of 20,000
    messages, against a twentieth; the text is the same (UTF-8 as is, two spaces)."""
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    sys.stdout.write(text.decode() + "\n")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print JSON for scripts instead of a table")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, empty: str,
                right: Sequence[str] = ()) -> None:
    """`rows` under `headers`, each column as wide as its widest cell; the columns named in
    `right` (numbers) right-aligned; the last column unpadded. `empty` when no rows."""
    if not rows:
        print(empty)
        return
    cells = [[terminal_safe("-" if value is None or value == "" else str(value))
              for value in row] for row in rows]
    widths = [max(len(header), *(len(row[i]) for row in cells))
              for i, header in enumerate(headers)]
    for row in [list(headers), *cells]:
        padded = [cell.rjust(width) if header in right else cell.ljust(width)
                  for cell, width, header in zip(row, widths, headers, strict=True)]
        padded[-1] = row[-1] if headers[-1] not in right else padded[-1]
        print("  ".join(padded).rstrip())


def attachment_line(file: dict[str, Any]) -> str:
    """One file as `tickets show` and `outbox show` list it."""
    return (f"[attachment] {terminal_safe(file['filename'])} "
            f"({terminal_safe(file['content_type'])}, {file['size']} bytes)")
