"""The Jinja2 environment notice templates run in: sandboxed, strict, size-bounded.

`ImmutableSandboxedEnvironment` refuses Python internals (`''.__class__`, `__globals__`...)
and changes to the data it is given; `StrictUndefined` turns a misspelt variable into an
error instead of an empty string, so a broken template is noticed rather than sent. The
operators that can build huge values from a short template (`*`, `**`) are bounded.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

# Bounds on what one template may build: a notice is a few kilobytes.
MAX_SEQUENCE = 100_000
MAX_EXPONENT = 64
MAX_OUTPUT = 1_000_000


class NoticeSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        # Jinja chains a template's globals onto the environment's (a ChainMap, so that a
        # later change to the environment's shows through), and copies that chain into a
        # dict on every render, slowly. Nothing changes the environment's globals once
        # `make_environment` has built it: a plain dict, copied at C speed.
        return {**self.globals, **(d or {})}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | bytes | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_SEQUENCE
                ):
                    raise SecurityError("the repeated value would be too long")
        return super().call_binop(context, operator, left, right)


class DirectoryLoader(BaseLoader):
    """Templates from one flat directory; the caller decides when to (re)load."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        if "/" in template or "\\" in template or template.startswith("."):
            raise TemplateNotFound(template)
        path = self.root / template
        try:
            source = path.read_bytes().decode("utf-8")
        except FileNotFoundError as exc:
            raise TemplateNotFound(template) from exc
        # Never up to date: the renderer keeps its own cache keyed by the file's stamp.
        return source, str(path), lambda: False


def make_environment(root: Path, *, html: bool) -> NoticeSandbox:
    env = NoticeSandbox(
        loader=DirectoryLoader(root),
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        cache_size=0,
        auto_reload=False,
    )
    env.filters["datetime"] = format_datetime
    env.filters["date"] = format_date
    return env


def _as_datetime(value: Any, tz: str | None) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a date-time, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz)) if tz else value.astimezone(UTC)


def format_datetime(value: Any, tz: str | None = None) -> str:
    """`Tuesday, 1 December 2026, 02:00 UTC`: English, unambiguous, no locale needed."""
    moment = _as_datetime(value, tz)
    zone = moment.tzname() or "UTC"
    return f"{moment:%A}, {moment.day} {moment:%B %Y, %H:%M} {zone}"


def format_date(value: Any, tz: str | None = None) -> str:
    moment = _as_datetime(value, tz)
    return f"{moment.day} {moment:%B %Y}"
