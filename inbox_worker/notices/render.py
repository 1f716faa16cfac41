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
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Template

from inbox_worker.notices import variables
from inbox_worker.notices.sandbox import NoticeSandbox, make_environment
from inbox_worker.notices.template_check import check_file, check_folder
from inbox_worker.notices.template_files import (
    HTML_SUFFIX,
    TEXT_SUFFIX,
    TemplateProblem,
    clean_subject,
    kind_from_name,
    problem_from,
    problem_key,
    read_source,
    render_bounded,
    split_subject,
    unknown_message,
    unknown_variables,
)
from inbox_worker.notices.variables import NOTICE_KINDS

_T = TypeVar("_T")

log = logging.getLogger("inbox_worker.notices")

DEFAULTS_DIR = Path(__file__).parent / "defaults"


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    text: str
    html: str | None = None


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
            name, self._text_env, lambda template: split_subject(render_bounded(template, context))
        )
        if found is not None:
            return found
        try:
            return split_subject(render_bounded(self._default(name), context))
        except Exception:  # noqa: BLE001 - the defaults are tested; this is the last net
            log.exception("built-in notice template %s failed; using the plain fallback", name)
            return _plain_fallback(kind, context)

    def _render_html(self, kind: str, context: dict[str, Any]) -> str | None:
        html = self._render_admin_template(
            kind + HTML_SUFFIX, self._html_env,
            lambda template: render_bounded(template, context).strip(),
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
                    self._remember(problem_from(path, exc))
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
            unknown = unknown_variables(env, env.parse(read_source(path), name, str(path)))
            slot.current = env.get_template(name)
        except Exception as exc:  # noqa: BLE001 - syntax errors, unreadable files alike
            slot.current = None
            self._remember(problem_from(path, exc))
            return slot
        if unknown:
            variable, line = unknown[0]
            slot.current = None
            self._remember(TemplateProblem(path, line, unknown_message(variable)))
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
            return sorted(self._state.problems.values(), key=problem_key)

    # -- checking and previews -------------------------------------------------------------

    def check(self) -> list[TemplateProblem]:
        """Every problem of every file in the templates folder (`template_check`)."""
        return check_folder(self.templates_dir, self._text_env, self._html_env)

    def sample_context(self, kind: str) -> dict[str, Any]:
        return variables.sample_context(_check_kind(kind))

    def preview(
        self, name: str, context: dict[str, Any] | None = None
    ) -> tuple[RenderedNotice | None, list[TemplateProblem]]:
        """Render one notice (by kind or file name) with `context` (else sample data), or
        the problems of its files: those `templates check` finds and those met rendering.
        With problems there is no notice: what would go out instead (the last good version
        or the built-in default) is not what the admin wrote."""
        kind = _check_kind(kind_from_name(name))
        files = {self.templates_dir / (kind + suffix): env for suffix, env in
                 ((TEXT_SUFFIX, self._text_env), (HTML_SUFFIX, self._html_env))}
        problems = [problem for path, env in files.items() if path.is_file()
                    for problem in check_file(env, path, kind)]
        if problems:
            return None, sorted(problems, key=problem_key)
        rendered = self.render(kind, context or self.sample_context(kind))
        problems = [p for p in self.problems() if p.path in files]
        return (None if problems else rendered), problems


# -- helpers ---------------------------------------------------------------------------------


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
