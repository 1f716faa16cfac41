"""Notice templates: every shipped template renders; the sandbox holds; broken templates
fall back (last good, then built-in) and are reported with file and line; edits are
picked up without a restart."""

from __future__ import annotations

import os
import shutil
import urllib.parse
from pathlib import Path

import pytest

from inbox_worker.notices import render as render_module
from inbox_worker.notices.render import (
    DEFAULTS_DIR,
    NoticeRenderer,
    TemplateProblem,
    split_subject,
)
from inbox_worker.notices.variables import (
    INTERNAL_KINDS,
    NOTICE_KINDS,
    TEMPLATE_VARIABLES,
    sample_context,
)

REPO_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    directory = tmp_path / "templates"
    shutil.copytree(REPO_TEMPLATES, directory)
    return directory


def write(path: Path, text: str) -> None:
    """Write and move the mtime forward: a test must not depend on the clock's resolution."""
    previous = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    stamp = max(previous + 1_000_000_000, path.stat().st_mtime_ns)
    os.utime(path, ns=(stamp, stamp))


# -- the shipped templates -------------------------------------------------------------------


def test_shipped_templates_are_the_builtin_defaults() -> None:
    names = sorted(p.name for p in REPO_TEMPLATES.iterdir())
    assert names == sorted(f"{kind}.txt.j2" for kind in NOTICE_KINDS)
    for name in names:
        assert (REPO_TEMPLATES / name).read_text() == (DEFAULTS_DIR / name).read_text()


@pytest.mark.parametrize("directory", [REPO_TEMPLATES, DEFAULTS_DIR], ids=["repo", "builtin"])
def test_check_passes_on_shipped_templates(directory: Path) -> None:
    assert NoticeRenderer(directory).check() == []


@pytest.mark.parametrize("minimal", [False, True], ids=["full", "minimal"])
@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_template_renders_sample_data(kind: str, minimal: bool) -> None:
    renderer = NoticeRenderer(REPO_TEMPLATES)
    context = sample_context(kind, minimal=minimal)
    notice = renderer.render(kind, context)
    assert notice.subject and "\n" not in notice.subject
    about_the_ticket = kind not in INTERNAL_KINDS or (kind, minimal) in (
        ("alert", False), ("alert", True), ("command_reply", False))
    if about_the_ticket:
        assert "Printer on the 2nd floor jams" in notice.subject
        assert "IW-7K3M9QX2PD" in notice.text  # the reply hint names the token
    assert notice.text.endswith("\n") and not notice.text.startswith("\n")
    assert "{{" not in notice.text and "{%" not in notice.text
    assert notice.html is None
    assert renderer.problems() == []


def test_notice_contents() -> None:
    renderer = NoticeRenderer(REPO_TEMPLATES)
    answer = renderer.render("answer", sample_context("answer"))
    assert "worn pickup roller" in answer.text
    billing = renderer.render("on_hold_billing", sample_context("on_hold_billing"))
    assert "open invoices" in billing.text
    scheduled = renderer.render("scheduled", sample_context("scheduled"))
    assert "Tuesday, 1 December 2026, 02:00 UTC" in scheduled.text
    assert "1 December 2026" in scheduled.subject
    ack = renderer.render("acknowledged", sample_context("acknowledged"))
    assert "Hello Jane Doe," in ack.text
    assert "reply to this mail" in ack.text
    minimal = renderer.render("acknowledged", sample_context("acknowledged", minimal=True))
    assert "Hello," in minimal.text


def test_unknown_kind_is_a_programming_error(templates: Path) -> None:
    with pytest.raises(ValueError, match="unknown notice"):
        NoticeRenderer(templates).render("welcome", sample_context("acknowledged"))


# -- the sandbox ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ticket.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ now.__class__.__init__.__globals__ }}",
        "{{ ticket.update({'ref': 'x'}) }}",
        "{{ 'x' * 100000000 }}",
        "{{ 10 ** 1000000 }}",
        "{{ range(1000000) | list }}",
    ],
)
def test_sandbox_refuses_python_internals(templates: Path, expression: str) -> None:
    path = templates / "closed.txt.j2"
    write(path, f"Subject: hacked\n\n{expression}\n")
    renderer = NoticeRenderer(templates)
    notice = renderer.render("closed", sample_context("closed"))
    # The built-in default went out instead, and the problem is on record.
    assert notice.subject == "Closed: Printer on the 2nd floor jams"
    assert "hacked" not in notice.subject
    [problem] = renderer.problems()
    assert problem.path == path and problem.line == 3
    assert renderer.check()[0].path == path


@pytest.mark.parametrize("name", ["config", "settings", "os", "session", "request", "environ"])
def test_settings_and_other_names_are_not_reachable(templates: Path, name: str) -> None:
    path = templates / "closed.txt.j2"
    write(path, f"Subject: x\n\n{{{{ {name} }}}}\n")
    renderer = NoticeRenderer(templates)
    assert renderer.render("closed", sample_context("closed")).subject.startswith("Closed:")
    [problem] = renderer.check()
    assert problem == TemplateProblem(path, 3, problem.message)
    assert f"unknown variable {name!r}" in problem.message


def test_self_is_not_an_escape_hatch(templates: Path) -> None:
    write(templates / "closed.txt.j2", "Subject: {{ self.__init__ }}\n\nbody\n")
    renderer = NoticeRenderer(templates)
    assert renderer.render("closed", sample_context("closed")).subject.startswith("Closed:")
    assert renderer.problems()


def test_html_is_autoescaped_and_text_is_not(templates: Path) -> None:
    write(templates / "answer.html.j2", "<p>{{ text }}</p>\n<p>{{ customer.name }}</p>\n")
    context = sample_context("answer")
    context["text"] = "<script>alert(1)</script> & more"
    context["customer"]["name"] = "<b>Jane</b>"
    notice = NoticeRenderer(templates).render("answer", context)
    assert notice.html is not None
    assert "<script>" not in notice.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in notice.html
    assert "&lt;b&gt;Jane&lt;/b&gt;" in notice.html
    assert "<script>alert(1)</script> & more" in notice.text


def test_subject_line_breaks_collapse(templates: Path) -> None:
    write(templates / "closed.txt.j2", "Subject: {{ ticket.subject }}\n\nbody\n")
    context = sample_context("closed")
    context["ticket"]["subject"] = "Hi\r\nBcc: evil@example.net\x00\u2028there"
    notice = NoticeRenderer(templates).render("closed", context)
    assert notice.subject == "Hi Bcc: evil@example.net there"


# -- broken templates: fall back, report ------------------------------------------------------


def test_broken_template_falls_back_to_last_good_then_default(templates: Path) -> None:
    path = templates / "acknowledged.txt.j2"
    renderer = NoticeRenderer(templates)
    context = sample_context("acknowledged")

    write(path, "Subject: Got it: {{ ticket.subject }}\n\nCustom body for {{ ticket.ref }}.\n")
    assert renderer.render("acknowledged", context).text == "Custom body for T-42.\n"

    write(path, "Subject: Got it\n\n{% if ticket.ref %}\nunclosed block\n")
    notice = renderer.render("acknowledged", context)
    assert notice.text == "Custom body for T-42.\n"  # the last good version
    [problem] = renderer.problems()
    assert problem.path == path and problem.line == 4 and "syntax error" in problem.message

    [checked] = renderer.check()
    assert checked.path == path and checked.line == 4
    assert str(checked).startswith(f"{path}:4: ")

    # A new renderer (a restart) has no last good version: the built-in default goes out.
    fresh = NoticeRenderer(templates)
    notice = fresh.render("acknowledged", context)
    assert notice.subject == "We have received your request: Printer on the 2nd floor jams"
    assert fresh.problems()[0].line == 4

    # Fixing the file clears the problem.
    write(path, "Subject: Fixed\n\nFixed body.\n")
    assert renderer.render("acknowledged", context).subject == "Fixed"
    assert renderer.problems() == []


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("Subject: x\n\nHello {{ custmer.name }}\n", 3, "unknown variable 'custmer'"),
        ("Subject: x\n\n{% for t in [ticket] %}{{ t.nope }}{% endfor %}\n", 3,
         "UndefinedError"),
        ("Subject: x\n\n\n{{ ticket.scheduled_for | datetime }}\n", 4, "TypeError"),
        ("Subject: x\n\n{{ 1 // 0 }}\n", 3, "ZeroDivisionError"),
        ("Subject: {{ '' }}\n\nbody\n", 1, "the subject is empty"),
        ("Hello\n\nbody\n", 1, "the first line must be 'Subject: ...'"),
        ("Subject: x\nbody\n", 2, "a blank line must follow the Subject line"),
        ("Subject: x\n\n{{ text }\n", 3, "syntax error"),
        ("Subject: x\n\n{% for x in %}{% endfor %}\n", 3, "syntax error"),
    ],
)
def test_broken_templates_are_reported_with_file_and_line(
    templates: Path, source: str, line: int, message: str
) -> None:
    path = templates / "closed.txt.j2"
    write(path, source)
    renderer = NoticeRenderer(templates)
    notice = renderer.render("closed", sample_context("closed"))
    assert notice.subject == "Closed: Printer on the 2nd floor jams"  # built-in default
    [problem] = renderer.problems()
    assert (problem.path, problem.line) == (path, line)
    assert message in problem.message
    [checked] = renderer.check()
    assert (checked.path, checked.line) == (path, line) and message in checked.message


def test_render_error_only_with_some_data_falls_back_for_that_render(templates: Path) -> None:
    path = templates / "on_hold.txt.j2"
    write(path, "Subject: On hold\n\nBecause {{ reason.upper() }}.\n")
    renderer = NoticeRenderer(templates)
    assert renderer.render("on_hold", sample_context("on_hold")).text.startswith("Because WAIT")
    # reason is None: the last good version is the same file, so the default goes out.
    notice = renderer.render("on_hold", sample_context("on_hold", minimal=True))
    assert notice.subject.startswith("On hold: ")
    assert renderer.problems()[0].line == 3
    # check() renders with optional values empty too, and says so.
    [problem] = renderer.check()
    assert problem.line == 3 and "optional values empty" in problem.message


def test_undecodable_file(templates: Path) -> None:
    path = templates / "closed.txt.j2"
    path.write_bytes(b"Subject: x\n\n\xff\xfe broken\n")
    renderer = NoticeRenderer(templates)
    assert renderer.render("closed", sample_context("closed")).subject.startswith("Closed:")
    assert renderer.check() == [TemplateProblem(path, None, "the file is not UTF-8 text")]


def test_unknown_files_are_flagged(templates: Path) -> None:
    write(templates / "acknowledge.txt.j2", "Subject: typo\n\nx\n")
    write(templates / "notes.txt", "scratch")
    (templates / "sub").mkdir()
    write(templates / ".acknowledged.txt.j2.swp", "editor junk")
    write(templates / "README.md", "how we write notices")
    problems = NoticeRenderer(templates).check()
    assert [p.path.name for p in problems] == ["acknowledge.txt.j2", "notes.txt", "sub"]
    assert all("not a notice template" in p.message for p in problems)


def test_missing_directory_uses_defaults_and_check_says_so(tmp_path: Path) -> None:
    renderer = NoticeRenderer(tmp_path / "nowhere")
    notice = renderer.render("closed", sample_context("closed"))
    assert notice.subject == "Closed: Printer on the 2nd floor jams"
    assert renderer.problems() == []
    [problem] = renderer.check()
    assert "does not exist" in problem.message


def test_removed_template_means_builtin_default(templates: Path) -> None:
    path = templates / "closed.txt.j2"
    write(path, "Subject: Custom\n\nCustom.\n")
    renderer = NoticeRenderer(templates)
    assert renderer.render("closed", sample_context("closed")).subject == "Custom"
    path.unlink()
    assert renderer.render("closed", sample_context("closed")).subject.startswith("Closed: ")


def test_changed_file_is_picked_up_without_restart(templates: Path) -> None:
    path = templates / "reopened.txt.j2"
    renderer = NoticeRenderer(templates)
    assert renderer.render("reopened", sample_context("reopened")).subject.startswith("Reopened")
    write(path, "Subject: Back again: {{ ticket.subject }}\n\nWelcome back.\n")
    notice = renderer.render("reopened", sample_context("reopened"))
    assert notice.subject == "Back again: Printer on the 2nd floor jams"
    assert notice.text == "Welcome back.\n"
    # An HTML alternative appears as soon as its file does.
    write(templates / "reopened.html.j2", "<p>Welcome back, {{ customer.name }}.</p>\n")
    assert renderer.render("reopened", sample_context("reopened")).html == (
        "<p>Welcome back, Jane Doe.</p>\n"
    )


def test_unchanged_files_are_not_recompiled(
    templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = NoticeRenderer(templates)
    renderer.render("closed", sample_context("closed"))
    calls: list[str] = []
    original = render_module.NoticeSandbox.get_template

    def counting(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(render_module.NoticeSandbox, "get_template", counting)
    for _ in range(5):
        renderer.render("closed", sample_context("closed"))
    assert calls == []


def test_broken_html_falls_back_to_last_good_html_or_none(templates: Path) -> None:
    path = templates / "closed.html.j2"
    write(path, "<p>{{ ticket.ref }}</p>\n")
    renderer = NoticeRenderer(templates)
    assert renderer.render("closed", sample_context("closed")).html == "<p>T-42</p>\n"
    write(path, "<p>{{ ticket.ref }</p>\n")
    notice = renderer.render("closed", sample_context("closed"))
    assert notice.html == "<p>T-42</p>\n"
    assert notice.subject.startswith("Closed: ")  # the text template is unaffected
    assert NoticeRenderer(templates).render("closed", sample_context("closed")).html is None


def test_preview_returns_the_problems_of_that_notice(templates: Path) -> None:
    write(templates / "closed.txt.j2", "Subject: x\n\n{{ nope }}\n")
    renderer = NoticeRenderer(templates)
    notice, problems = renderer.preview("closed.txt.j2")
    assert notice is None and [p.line for p in problems] == [3]
    notice, problems = renderer.preview("answer")
    assert problems == [] and notice is not None and "worn pickup roller" in notice.text


def test_check_reports_every_problem_of_a_file_at_once(templates: Path) -> None:
    path = templates / "answer.txt.j2"
    write(path, "No subject {{ ticket.subjetc }}\n\nHello {{ custmer.name }}\n"
                "{{ ticket.rfe }} {{ foo }} {{ ticket.get('ref') }}\n")
    write(templates / "answered.html.j2", "<p>hi</p>\n")
    problems = [(p.path.name, p.line, p.message.split(" (")[0])
                for p in NoticeRenderer(templates).check()]
    assert problems == [
        ("answer.txt.j2", 1, "the first line must be 'Subject: ...'"),
        ("answer.txt.j2", 1, "unknown field ticket.subjetc"),
        ("answer.txt.j2", 3, "unknown variable 'custmer'"),
        ("answer.txt.j2", 4, "unknown field ticket.rfe"),
        ("answer.txt.j2", 4, "unknown variable 'foo'"),
        ("answered.html.j2", None, "not a notice template"),
    ]
    [unknown_file] = [p for p in NoticeRenderer(templates).check() if p.line is None]
    assert "(did you mean answer?)" in unknown_file.message


# -- the subject line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rendered", "subject", "body"),
    [
        ("Subject: Hello\n\nBody\n", "Hello", "Body\n"),
        ("\n\nSubject:   Hello  \n\n\nBody\n\n\n", "Hello", "Body\n"),
        ("subject: Folded\n  on two lines\n\nBody\n", "Folded on two lines", "Body\n"),
        ("Subject: Sig\r\n\r\nText\r\n-- \r\nUs\r\n", "Sig", "Text\n-- \nUs\n"),
        ("Subject: Tab\there\n\n", "Tab here", "\n"),
    ],
)
def test_split_subject(rendered: str, subject: str, body: str) -> None:
    assert split_subject(rendered) == (subject, body)


def test_documented_variables_are_what_samples_provide() -> None:
    for kind in NOTICE_KINDS:
        assert set(sample_context(kind)) == set(TEMPLATE_VARIABLES)


def test_the_readme_documents_every_template_variable() -> None:
    """The README's Templates section is `TEMPLATE_DOC` as it is, so it stays true."""
    from inbox_worker.notices.variables import TEMPLATE_DOC

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert TEMPLATE_DOC in readme


def test_the_survey_offers_five_mailto_answers_and_an_opt_out() -> None:
    from inbox_worker.domain.survey import read_answer

    notice = NoticeRenderer(REPO_TEMPLATES).render("survey", sample_context("survey"))
    links = [word for word in notice.text.split() if word.startswith("mailto:")]
    assert len(links) == 6
    subjects = [urllib.parse.unquote(link.partition("subject=")[2]) for link in links]
    assert [read_answer(s, "") for s in subjects[:5]] == [
        read_answer(f"Rating {n} [IW-7K3M9QX2PD]", "") for n in range(1, 6)]
    assert read_answer(subjects[5], "").opt_out  # type: ignore[union-attr]
    alert = sample_context("alert")
    alert.update(alert={"event": "low_rating", "by": "jane.doe@example.org", "breached": [],
                        "rating": 2}, text="")
    rendered = NoticeRenderer(REPO_TEMPLATES).render("alert", alert)
    assert rendered.subject.startswith("Low rating")
    assert "rated ticket T-42 2 out of 5, without a comment" in rendered.text
