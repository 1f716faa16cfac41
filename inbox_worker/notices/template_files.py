"""The admins' template files: their names, the `Subject:` line a text file starts with,
and the problems a file can have (`TemplateProblem`), shared by rendering (`render`) and
checking (`template_check`)."""

from __future__ import annotations

import re
import traceback
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateSyntaxError, meta, nodes

from inbox_worker.notices.sandbox import MAX_OUTPUT, NoticeSandbox
from inbox_worker.notices.variables import TEMPLATE_VARIABLES

TEXT_SUFFIX = ".txt.j2"
HTML_SUFFIX = ".html.j2"
MAX_SUBJECT = 300

_LINE_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class TemplateProblem:
    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


def problem_key(problem: TemplateProblem) -> tuple[str, int, str]:
    return (str(problem.path), problem.line or 0, problem.message)


class BrokenTemplate(Exception):
    """A template rendered to something unusable (no subject line, empty subject...)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def kind_from_name(name: str) -> str:
    """`acknowledged`, `acknowledged.txt.j2` or `templates/acknowledged.html.j2` -> kind."""
    base = Path(name).name
    for suffix in (TEXT_SUFFIX, HTML_SUFFIX):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def split_subject(rendered: str) -> tuple[str, str]:
    """`Subject: ...`, a blank line, the body -> (one-line subject, body)."""
    lines = rendered.replace("\r\n", "\n").replace("\r", "\n").lstrip("\n").split("\n")
    first = lines[0]
    if not first.lower().startswith("subject:"):
        raise BrokenTemplate("the first line must be 'Subject: ...'", line=1)
    subject_parts = [first[len("subject:") :]]
    index = 1
    # Indented lines continue the subject (a long subject folded by hand or by a loop).
    while index < len(lines) and lines[index][:1] in (" ", "\t") and lines[index].strip():
        subject_parts.append(lines[index])
        index += 1
    if index < len(lines) and lines[index].strip():
        raise BrokenTemplate("a blank line must follow the Subject line", line=index + 1)
    subject = clean_subject(" ".join(subject_parts))
    if not subject:
        raise BrokenTemplate("the subject is empty", line=1)
    # Trailing spaces are kept: "-- " is the signature delimiter.
    body = "\n".join(lines[index + 1 :]).strip("\n").rstrip()
    return subject, body + "\n"


def clean_subject(subject: str) -> str:
    """One line: CR, LF, NUL and every other control or line-separator character collapse
    to a space (a line break in a header would be a header injection)."""
    text = _LINE_BREAKS.sub(" ", unicodedata.normalize("NFC", subject)).strip()
    if len(text) > MAX_SUBJECT:
        text = text[: MAX_SUBJECT - 1].rstrip() + "…"
    return text


def render_bounded(template: Template, context: dict[str, Any]) -> str:
    output = template.render(context)
    if len(output) > MAX_OUTPUT:
        raise BrokenTemplate(f"the output is longer than {MAX_OUTPUT} characters")
    return output


def unknown_variables(env: NoticeSandbox, tree: nodes.Template) -> list[tuple[str, int]]:
    """Names the parsed template reads that are neither documented nor Jinja's own, with
    the line of their first use."""
    allowed = set(TEMPLATE_VARIABLES) | set(env.globals)
    undeclared = meta.find_undeclared_variables(tree) - allowed
    found: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.name in undeclared and node.ctx == "load":
            found.setdefault(node.name, node.lineno)
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def unknown_message(name: str) -> str:
    return f"unknown variable {name!r} (known: {', '.join(TEMPLATE_VARIABLES)})"


def problem_from(path: Path, exc: BaseException) -> TemplateProblem:
    if isinstance(exc, TemplateSyntaxError):
        return TemplateProblem(path, exc.lineno, f"syntax error: {exc.message}")
    if isinstance(exc, BrokenTemplate):
        return TemplateProblem(path, exc.line, str(exc))
    if isinstance(exc, UnicodeDecodeError):
        return TemplateProblem(path, None, "the file is not UTF-8 text")
    if isinstance(exc, OSError):
        return TemplateProblem(path, None, f"cannot read the file: {exc.strerror or exc}")
    return TemplateProblem(path, _template_line(path, exc), f"{type(exc).__name__}: {exc}")


def _template_line(path: Path, exc: BaseException) -> int | None:
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(path):
            line = frame.lineno
    return line


def read_source(path: Path) -> str:
    return path.read_bytes().decode("utf-8")
