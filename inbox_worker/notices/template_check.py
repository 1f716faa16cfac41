"""`templates check`: every problem of every file in the templates folder, found before a
notice needs the file.

A file is read three ways, so that one run shows all that is wrong with it: parsed (Jinja's
parser stops at a file's first syntax error, so such a file shows that one alone); read for
names and fields that do not exist (`custmer`, `ticket.subjetc`: every one, with its line);
and rendered with sample data, with and without the optional values, which finds what only
running shows (a field of a loop variable, a filter given the wrong type, a missing
`Subject:` line). A file whose names are wrong is also rendered leniently, so that the shape
of its subject is checked in the same run.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, Template, nodes

from inbox_worker.notices import variables
from inbox_worker.notices.sandbox import NoticeSandbox
from inbox_worker.notices.template_files import (
    HTML_SUFFIX,
    TEXT_SUFFIX,
    BrokenTemplate,
    TemplateProblem,
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

# Variables whose fields are fixed: a field name not among them is a typo. (`links` and
# `figures` are open dicts; loop variables are checked by rendering.)
_FIXED_FIELDS = ("ticket", "customer", "support", "alert", "survey")


def check_folder(root: Path, text_env: NoticeSandbox, html_env: NoticeSandbox
                 ) -> list[TemplateProblem]:
    if not root.is_dir():
        return [TemplateProblem(root, None, "the templates directory does not exist "
                                "(the built-in defaults are used)")]
    problems: list[TemplateProblem] = []
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or path.name.upper().startswith("README"):
            continue
        kind, env = _kind_of(path.name, text_env, html_env)
        if kind is None or env is None or not path.is_file():
            problems.append(TemplateProblem(path, None, _unknown_file_message(path.name)))
            continue
        problems.extend(check_file(env, path, kind))
    return sorted(problems, key=problem_key)


def check_file(env: NoticeSandbox, path: Path, kind: str) -> list[TemplateProblem]:
    try:
        source = read_source(path)
        tree = env.parse(source, path.name, str(path))
        unknown = unknown_variables(env, tree)
        fields = _unknown_fields(tree, kind)
        template = env.get_template(path.name)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return [problem_from(path, exc)]
    problems = [TemplateProblem(path, line, unknown_message(name)) for name, line in unknown]
    problems += [TemplateProblem(path, line, message) for message, line in fields]
    reported = {problem.line for problem in problems}
    for minimal in (False, True):
        problem = _render_problem(path, template, kind, minimal)
        if problem is not None and problem.line not in reported:
            problems.append(problem)
            break
    if reported and path.name.endswith(TEXT_SUFFIX):
        problems += _subject_problems(path, env, source, kind)
    return problems


def _render_problem(path: Path, template: Template, kind: str, minimal: bool
                    ) -> TemplateProblem | None:
    try:
        output = render_bounded(template, variables.sample_context(kind, minimal=minimal))
        if path.name.endswith(TEXT_SUFFIX):
            split_subject(output)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        problem = problem_from(path, exc)
        if minimal:
            problem = TemplateProblem(problem.path, problem.line,
                                      problem.message + " (with optional values empty)")
        return problem
    return None


def _subject_problems(path: Path, env: NoticeSandbox, source: str, kind: str
                      ) -> list[TemplateProblem]:
    """The `Subject:` line's shape, rendered with unknown names left empty: the strict
    render stopped at the first of them, before the subject could be read."""
    lenient = env.overlay(undefined=_Placeholder)
    try:
        split_subject(render_bounded(lenient.from_string(source),
                                     variables.sample_context(kind)))
    except BrokenTemplate as exc:
        return [problem_from(path, exc)]
    except Exception:  # noqa: BLE001 - whatever else fails is reported by the strict render
        return []
    return []


class _Placeholder(ChainableUndefined):
    """An unknown name, rendered as a word: `Subject: {{ ticket.subjetc }}` is reported for
    its field, not also as an empty subject."""

    def __str__(self) -> str:
        return "x"


def _unknown_fields(tree: nodes.Template, kind: str) -> list[tuple[str, int]]:
    """`ticket.subjetc` and the like: fields of the fixed variables that do not exist."""
    sample: dict[str, Any] = variables.sample_context(kind)
    found: dict[str, int] = {}
    for node in tree.find_all(nodes.Getattr):
        owner = node.node
        if not (isinstance(owner, nodes.Name) and owner.name in _FIXED_FIELDS):
            continue
        known = sample.get(owner.name)
        if isinstance(known, dict) and node.attr not in known and not hasattr(dict, node.attr):
            message = (f"unknown field {owner.name}.{node.attr} "
                       f"(known: {', '.join(sorted(known))})")
            found.setdefault(message, node.lineno)
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def _kind_of(name: str, text_env: NoticeSandbox, html_env: NoticeSandbox
             ) -> tuple[str | None, NoticeSandbox | None]:
    for suffix, env in ((TEXT_SUFFIX, text_env), (HTML_SUFFIX, html_env)):
        if name.endswith(suffix) and name[: -len(suffix)] in NOTICE_KINDS:
            return name[: -len(suffix)], env
    return None, None


def _unknown_file_message(name: str) -> str:
    close = difflib.get_close_matches(kind_from_name(name), NOTICE_KINDS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (f"not a notice template{hint}: expected NAME.txt.j2 or NAME.html.j2 with NAME "
            f"one of {', '.join(NOTICE_KINDS)}")
