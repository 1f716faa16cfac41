"""One line per configuration mistake: where it is (file, line, section and key), what is
wrong, and for an unknown key the nearest valid one ("did you mean auto_close_days?")."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from inbox_worker.config_schema import ConfigFile, section_type

# Keys an admin may try for a secret; the file never holds one.
INLINE_SECRETS = ("password", "token", "oauth2_token")

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def describe_errors(error: ValidationError, *, source: Path | None = None,
                    text: str = "") -> list[str]:
    """The mistakes pydantic found, each as one line an admin can act on."""
    found = []
    for problem in error.errors(include_url=False):
        names = [str(part) for part in problem["loc"] if not isinstance(part, int)]
        # An array of tables ([[mailboxes]]): which of them, 0-based.
        table = next((part for part in problem["loc"] if isinstance(part, int)), None)
        line = find_line(text, names, table) if text else None
        place = f"{source}:{line}: " if source and line else f"{source}: " if source else ""
        found.append((line or 0, f"{place}{_where(names, table)}{_message(problem, names)}"))
    # In the file's order, as an admin reads it (sorted() keeps pydantic's order on ties).
    return [message for _, message in sorted(found, key=lambda pair: pair[0])]


def _where(names: Sequence[str], table: int | None = None) -> str:
    if not names:
        return ""
    if table is not None:
        return f"[[{names[0]}]] #{table + 1} {'.'.join(names[1:])}: "
    if len(names) == 1:
        return f"[{names[0]}]: "
    return f"[{names[0]}] {'.'.join(names[1:])}: "


def _message(problem: Any, names: list[str]) -> str:
    kind, ctx = problem["type"], problem.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown(names)
    if kind == "missing":
        return "required, and missing"
    if kind == "value_error":
        return str(ctx.get("error", problem["msg"]))
    if kind in ("int_type", "int_from_float"):
        return "must be a whole number (e.g. 30, no quotes)"
    if kind in ("float_type", "int_parsing", "float_parsing"):
        return "must be a number (no quotes)"
    if kind == "bool_type":
        return "must be true or false (no quotes)"
    if kind == "string_type":
        return 'must be a string in quotes ("...")'
    if kind == "list_type":
        return 'must be a list: ["...", "..."]'
    if kind in ("model_type", "dict_type"):
        return "must be a table"
    if kind == "greater_than_equal":
        return f"must be {_number(ctx['ge'])} or more"
    if kind == "greater_than":
        return f"must be more than {_number(ctx['gt'])}"
    if kind == "less_than_equal":
        return f"must be {_number(ctx['le'])} or less"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    return str(problem["msg"])


def _number(value: float) -> str:
    return f"{value:g}"


def _unknown(names: list[str]) -> str:
    name = names[-1]
    if len(names) == 1:
        known = list(ConfigFile.model_fields)
        what = "section"
    else:
        known = list(_model_at(names[:-1]).model_fields)
        what = ("priority" if names[:1] == ["targets"] and len(names) == 3
                and names[1] in ("first_response", "resolution") else "key")
        if name in INLINE_SECRETS and names[0] in ("mailbox", "mailboxes", "smtp"):
            ways = [key for key in known if key.endswith(("_env", "_command"))]
            return (f"secrets are not read from the file; name an environment variable or "
                    f"a command that prints it: {', '.join(ways)}")
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"valid: {', '.join(known)}"
    return f"unknown {what}; {hint}"


def _model_at(names: Sequence[str]) -> type[BaseModel]:
    model: type[BaseModel] = ConfigFile
    for name in names:
        field = model.model_fields.get(name)
        nested = section_type(field.annotation) if field else None
        if nested is None:
            break
        model = nested
    return model


def find_line(text: str, names: Sequence[str], table: int | None = None) -> int | None:
    """The 1-based line of ``names`` (section, key, sub-key...) in a TOML text: the key under
    its table header, else the nearest enclosing key or header that is written out.
    ``table`` is the 0-based place of a table in an array of tables (``[[section]]``)."""
    lines = text.splitlines()
    if table is not None and names:
        return _array_table_line(lines, names, table)
    table = _header_line(lines, ".".join(names)) if len(names) > 1 else None
    if table is not None:  # a mistake of a whole table written as [a.b]
        return table + 1
    for depth in range(len(names) - 1, 0, -1):
        header = _header_line(lines, ".".join(names[:depth]))
        if header is not None:
            return _key_line(lines, header, names[depth])
    header = _header_line(lines, names[0]) if names else None
    return None if header is None else header + 1


def _array_table_line(lines: list[str], names: Sequence[str], table: int) -> int | None:
    header = re.compile(rf"^\s*\[\[\s*{re.escape(names[0])}\s*\]\]")
    starts = [number for number, line in enumerate(lines) if header.match(line)]
    if table >= len(starts):
        return None
    return _key_line(lines, starts[table], names[1]) if len(names) > 1 else starts[table] + 1


def _key_line(lines: list[str], header: int, name: str) -> int:
    """The 1-based line of key ``name`` in the table whose header is on line ``header``
    (0-based), else the header's."""
    key = re.compile(rf'^\s*["\']?{re.escape(name)}["\']?\s*[=.]')
    for number in range(header + 1, len(lines)):
        if _HEADER.match(lines[number]) or lines[number].lstrip().startswith("[["):
            break
        if key.match(lines[number]):
            return number + 1
    return header + 1


def _header_line(lines: list[str], dotted: str) -> int | None:
    for number, line in enumerate(lines):
        found = _HEADER.match(line)
        if found and found.group(1).replace(" ", "") == dotted:
            return number
    return None
