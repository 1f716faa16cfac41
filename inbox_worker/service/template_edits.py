"""Editing the notice templates from the web console: each file's state, a draft checked and
rendered exactly as sending would (before it is saved), an atomic save that keeps the
version it replaces, and the restore of such a version.

A draft is checked and previewed in a private copy of the kind's files (the draft in place
of the saved one, its text or HTML companion as saved), through a `NoticeRenderer` of its
own: the same sandbox, the same checks as `templates check`, the same fallbacks as
sending. Nothing reaches the real folder until the draft has no problem. The worker sees a
save as it sees any edit: the file's stamp changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.notices.render import (
    DEFAULTS_DIR,
    NoticeRenderer,
    RenderedNotice,
    iter_template_names,
)
from inbox_worker.notices.template_files import (
    HTML_SUFFIX,
    TEXT_SUFFIX,
    TemplateProblem,
    kind_from_name,
)
from inbox_worker.store.models import TemplateVersion

# Every file the renderer reads: the only names the console opens (nothing else can name a
# path, so no name escapes the folder).
EDITABLE: tuple[str, ...] = tuple(iter_template_names())
MAX_SOURCE_CHARS = 200_000  # a notice template is a few kilobytes
VERSIONS_SHOWN = 20


class UnknownTemplate(LookupError):
    """A name that is not one of EDITABLE."""


@dataclass(frozen=True)
class Problem:
    """A problem of a draft or a saved file, by line (None: of the whole file)."""

    line: int | None
    message: str


@dataclass(frozen=True)
class TemplateFile:
    name: str
    kind: str
    state: str  # default (no file: the built-in one is used), edited, broken
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class DraftResult:
    """A draft rendered as it would go out (``rendered``), or its ``problems``."""

    rendered: RenderedNotice | None
    problems: tuple[Problem, ...]


def check_name(name: str) -> str:
    if name not in EDITABLE:
        raise UnknownTemplate(name)
    return name


def template_files(templates_dir: Path) -> list[TemplateFile]:
    """Every editable file, in notice order, with its state."""
    problems: dict[str, list[Problem]] = {}
    for problem in NoticeRenderer(templates_dir).check():
        problems.setdefault(problem.path.name, []).append(_problem(problem))
    files = []
    for name in EDITABLE:
        found = tuple(problems.get(name, ()))
        state = "broken" if found else "edited" if (templates_dir / name).is_file() else "default"
        files.append(TemplateFile(name, kind_from_name(name), state, found))
    return files


def current_source(templates_dir: Path, name: str) -> str:
    """The file as saved, else the built-in default's text ('' for an HTML part, which has
    no default: without one the notice is plain text)."""
    check_name(name)
    for folder in (templates_dir, DEFAULTS_DIR):
        with contextlib.suppress(FileNotFoundError):
            return (folder / name).read_bytes().decode("utf-8", errors="replace")
    return ""


def render_draft(templates_dir: Path, name: str, source: str,
                 context: dict[str, Any] | None = None) -> DraftResult:
    """``source`` as the file ``name``, checked and rendered with ``context`` (else the
    sample data) beside the kind's other saved file."""
    check_name(name)
    if len(source) > MAX_SOURCE_CHARS:
        return DraftResult(None, (Problem(None, f"the template is longer than "
                                                f"{MAX_SOURCE_CHARS} characters"),))
    kind = kind_from_name(name)
    with _draft_folder(templates_dir, name, source) as folder:
        rendered, problems = NoticeRenderer(folder).preview(kind, context)
    return DraftResult(rendered, tuple(_problem(p) for p in problems))


def save_template(sessions: sessionmaker[Session], templates_dir: Path, name: str,
                  source: str, *, by: str, now: datetime) -> DraftResult:
    """Save ``source`` as ``name`` if it has no problem (else nothing changes): the file is
    replaced atomically and the version it replaces is kept."""
    result = render_draft(templates_dir, name, source)
    if result.problems:
        return result
    path = templates_dir / name
    try:
        previous: str | None = path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        previous = None
    if previous == source:
        return result
    with sessions.begin() as session:
        if previous is not None:
            session.add(TemplateVersion(name=name, source=previous, saved_at=now, saved_by=by))
        # Written inside the transaction: a file that cannot be written keeps no version
        # of a save that did not happen.
        _write_atomically(path, source)
    return result


def versions(session: Session, name: str) -> list[TemplateVersion]:
    """The versions earlier saves replaced, newest first."""
    check_name(name)
    return list(session.scalars(
        select(TemplateVersion).where(TemplateVersion.name == name)
        .order_by(TemplateVersion.id.desc()).limit(VERSIONS_SHOWN)))


def version_source(session: Session, name: str, version_id: int) -> str | None:
    version = session.get(TemplateVersion, version_id)
    return version.source if version is not None and version.name == name else None


def _problem(problem: TemplateProblem) -> Problem:
    return Problem(problem.line, problem.message)


@contextlib.contextmanager
def _draft_folder(templates_dir: Path, name: str, source: str) -> Iterator[Path]:
    kind = kind_from_name(name)
    with tempfile.TemporaryDirectory(prefix="iw-draft-") as folder:
        draft = Path(folder)
        for companion in (kind + TEXT_SUFFIX, kind + HTML_SUFFIX):
            if companion != name and (templates_dir / companion).is_file():
                shutil.copyfile(templates_dir / companion, draft / companion)
        (draft / name).write_text(source, encoding="utf-8")
        yield draft


def _write_atomically(path: Path, text: str) -> None:
    """The new file under a temporary name in the same folder, flushed to disk, then
    renamed over the old one: a reader (the worker) sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
