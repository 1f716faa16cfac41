"""Rendering notices from the admins' templates: reload on change, never fail, report.

`NoticeRenderer` owns the templates directory. Each `render` looks at the files' stamps
(mtime, size, inode: one `stat` per file) and recompiles a file that changed. A template
that does not compile, reads an unknown variable, raises while rendering or renders an
empty subject never stops a notice: the last version of that file that rendered well is
used, else the built-in default (`notices/defaults/`), and the problem is logged once and
kept for `problems()`. `check()` is the strict counterpart for `templates check`.

File format (see `variables.TEMPLATE_DOC`): `NAME.txt.j2` holds a `Subject:` line, a blank
line and the plain-text body; the optional `NAME.html.j2` holds an HTML body, autoescaped.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import traceback
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Template, TemplateSyntaxError, meta, nodes

from inbox_worker.notices import variables
from inbox_worker.notices.sandbox import MAX_OUTPUT, NoticeSandbox, make_environment
from inbox_worker.notices.variables import NOTICE_KINDS, TEMPLATE_VARIABLES

_T = TypeVar("_T")

log = logging.getLogger("inbox_worker.notices")

DEFAULTS_DIR = Path(__file__).parent / "defaults"
TEXT_SUFFIX = ".txt.j2"
HTML_SUFFIX = ".html.j2"
MAX_SUBJECT = 300

_LINE_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class TemplateProblem:
    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


class BrokenTemplate(Exception):
    """A template rendered to something unusable (no subject line, empty subject...)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class _Slot:
    """One admin template file: what we last saw of it and what we can fall back on."""

    stamp: tuple[int, int, int] | None = None
    current: Template | None = None
    good: Template | None = None


@dataclass
class _State:
    slots: dict[str, _Slot] = field(default_factory=dict)
    problems: dict[Path, TemplateProblem] = field(default_factory=dict)


class NoticeRenderer:
    """Renders notices from `templates_dir`, falling back as described in the module doc."""

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = Path(templates_dir)
        self._text_env = make_environment(self.templates_dir, html=False)
        self._html_env = make_environment(self.templates_dir, html=True)
        self._defaults = make_environment(DEFAULTS_DIR, html=False)
        self._default_templates: dict[str, Template] = {}
        self._state = _State()
        self._lock = threading.Lock()

    # -- rendering -----------------------------------------------------------------------

    def render(self, kind: str, context: dict[str, Any]) -> RenderedNotice:
        """The notice `kind` (a NoticeKind value) for `context`. Never raises for a bad
        template; raises ValueError only for an unknown kind (a programming error)."""
        kind = _check_kind(kind)
        with self._lock:
            subject, text = self._render_text(kind, context)
            html = self._render_html(kind, context)
        return RenderedNotice(subject=subject, text=text, html=html)

    def _render_text(self, kind: str, context: dict[str, Any]) -> tuple[str, str]:
        name = kind + TEXT_SUFFIX
        found = self._render_admin_template(
            name, self._text_env, lambda template: split_subject(_render(template, context))
        )
        if found is not None:
            return found
        try:
            return split_subject(_render(self._default(name), context))
        except Exception:  # noqa: BLE001 - the defaults are tested; this is the last net
            log.exception("built-in notice template %s failed; using the plain fallback", name)
            return _plain_fallback(kind, context)

    def _render_html(self, kind: str, context: dict[str, Any]) -> str | None:
        html = self._render_admin_template(
            kind + HTML_SUFFIX, self._html_env,
            lambda template: _render(template, context).strip(),
        )
        # No built-in HTML: without a working HTML template the notice is plain text.
        return html + "\n" if html else None

    def _render_admin_template(
        self, name: str, env: NoticeSandbox, finish: Callable[[Template], _T]
    ) -> _T | None:
        """The admin's file rendered by ``finish``: the current version, else the last good
        one; None when neither renders (the caller falls back to the built-in default)."""
        path = self.templates_dir / name
        slot = self._refresh(name, env)
        for template, is_current in ((slot.current, True), (slot.good, False)):
            if template is None or (not is_current and template is slot.current):
                continue
            try:
                result = finish(template)
            except Exception as exc:  # noqa: BLE001 - any template failure means: fall back
                if is_current:
                    self._remember(_problem(path, exc))
                continue
            if is_current:
                slot.good = template
                self._forget(path)
            return result
        return None

    def _refresh(self, name: str, env: NoticeSandbox) -> _Slot:
        slot = self._state.slots.setdefault(name, _Slot())
        path = self.templates_dir / name
        stamp = _stamp(path)
        if stamp == slot.stamp:
            return slot
        slot.stamp = stamp
        if stamp is None:
            # Removed: the admin wants the built-in default, not an old version of theirs.
            slot.current = slot.good = None
            self._forget(path)
            return slot
        try:
            unknown = _unknown_variables(env, _read(path), name=name, filename=str(path))
            slot.current = env.get_template(name)
        except Exception as exc:  # noqa: BLE001 - syntax errors, unreadable files alike
            slot.current = None
            self._remember(_problem(path, exc))
            return slot
        if unknown:
            variable, line = unknown[0]
            slot.current = None
            self._remember(TemplateProblem(path, line, _unknown_message(variable)))
        return slot

    def _default(self, name: str) -> Template:
        template = self._default_templates.get(name)
        if template is None:
            template = self._defaults.get_template(name)
            self._default_templates[name] = template
        return template

    def _remember(self, problem: TemplateProblem) -> None:
        if self._state.problems.get(problem.path) != problem:
            log.error("notice template problem: %s (using the last good version or the "
                      "built-in default)", problem)
        self._state.problems[problem.path] = problem

    def _forget(self, path: Path) -> None:
        if self._state.problems.pop(path, None) is not None:
            log.info("notice template %s works again", path)

    def problems(self) -> list[TemplateProblem]:
        """The problems met while rendering, one per file, until the file works again."""
        with self._lock:
            return sorted(self._state.problems.values(), key=_problem_key)

    # -- checking and previews -------------------------------------------------------------

    def check(self) -> list[TemplateProblem]:
        """Validate every file in the templates directory: names, syntax, variables, and a
        render of each against sample data (with and without optional values)."""
        root = self.templates_dir
        if not root.is_dir():
            return [TemplateProblem(root, None, "the templates directory does not exist "
                                    "(the built-in defaults are used)")]
        problems: list[TemplateProblem] = []
        for path in sorted(root.iterdir()):
            if path.name.startswith(".") or path.name.upper().startswith("README"):
                continue
            kind, env = self._kind_of(path.name)
            if kind is None or env is None or not path.is_file():
                problems.append(TemplateProblem(path, None, _unknown_file_message()))
                continue
            problems.extend(_check_file(env, path, kind))
        return sorted(problems, key=_problem_key)

    def _kind_of(self, name: str) -> tuple[str | None, NoticeSandbox | None]:
        for suffix, env in ((TEXT_SUFFIX, self._text_env), (HTML_SUFFIX, self._html_env)):
            if name.endswith(suffix) and name[: -len(suffix)] in NOTICE_KINDS:
                return name[: -len(suffix)], env
        return None, None

    def sample_context(self, kind: str) -> dict[str, Any]:
        return variables.sample_context(_check_kind(kind))

    def preview(
        self, name: str, context: dict[str, Any] | None = None
    ) -> tuple[RenderedNotice, list[TemplateProblem]]:
        """Render one notice (by kind or file name) as it would go out now, with the
        problems of its files; sample data unless `context` is given."""
        kind = _check_kind(kind_from_name(name))
        rendered = self.render(kind, context or self.sample_context(kind))
        files = {self.templates_dir / (kind + suffix) for suffix in (TEXT_SUFFIX, HTML_SUFFIX)}
        return rendered, [p for p in self.problems() if p.path in files]


# -- helpers ---------------------------------------------------------------------------------


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


def _render(template: Template, context: dict[str, Any]) -> str:
    output = template.render(context)
    if len(output) > MAX_OUTPUT:
        raise BrokenTemplate(f"the output is longer than {MAX_OUTPUT} characters")
    return output


def _check_file(env: NoticeSandbox, path: Path, kind: str) -> list[TemplateProblem]:
    try:
        source = _read(path)
        unknown = _unknown_variables(env, source, name=path.name, filename=str(path))
        template = env.get_template(path.name)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return [_problem(path, exc)]
    problems = [TemplateProblem(path, line, _unknown_message(name)) for name, line in unknown]
    if problems:
        return problems
    for minimal in (False, True):
        try:
            output = _render(template, variables.sample_context(kind, minimal=minimal))
            if path.name.endswith(TEXT_SUFFIX):
                split_subject(output)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            problem = _problem(path, exc)
            if minimal:
                problem = TemplateProblem(problem.path, problem.line,
                                          problem.message + " (with optional values empty)")
            return [problem]
    return []


def _unknown_variables(
    env: NoticeSandbox, source: str, *, name: str | None = None, filename: str | None = None
) -> list[tuple[str, int]]:
    """Names the template reads that are neither documented nor Jinja's own, with the line
    of their first use."""
    tree = env.parse(source, name, filename)
    allowed = set(TEMPLATE_VARIABLES) | set(env.globals)
    undeclared = meta.find_undeclared_variables(tree) - allowed
    found: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.name in undeclared and node.ctx == "load":
            found.setdefault(node.name, node.lineno)
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def _unknown_message(name: str) -> str:
    return f"unknown variable {name!r} (known: {', '.join(TEMPLATE_VARIABLES)})"


def _unknown_file_message() -> str:
    return (
        "not a notice template: expected NAME.txt.j2 or NAME.html.j2 with NAME one of "
        + ", ".join(NOTICE_KINDS)
    )


def _problem(path: Path, exc: BaseException) -> TemplateProblem:
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


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return (-1, -1, -1)  # unreadable: let loading report why
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _check_kind(kind: str) -> str:
    value = str(kind)
    if value not in NOTICE_KINDS:
        raise ValueError(f"unknown notice {value!r}; expected one of {', '.join(NOTICE_KINDS)}")
    return value


def _problem_key(problem: TemplateProblem) -> tuple[str, int, str]:
    return (str(problem.path), problem.line or 0, problem.message)


def _plain_fallback(kind: str, context: dict[str, Any]) -> tuple[str, str]:
    ticket = context.get("ticket") or {}
    subject = clean_subject(str(ticket.get("subject") or "Your support request")) or "Support"
    text = str(context.get("text") or "")
    body = f"There is news on your support request {ticket.get('ref', '')} ({kind}).\n"
    return subject, (text + "\n\n" if text else "") + body


def iter_template_names() -> Iterator[str]:
    """Every file name the renderer looks for, text then HTML, in notice order."""
    for kind in NOTICE_KINDS:
        yield kind + TEXT_SUFFIX
        yield kind + HTML_SUFFIX
