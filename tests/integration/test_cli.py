"""The command line as a user and scripts meet it: the real console script, in a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fixtures import ImapAccount
from tests.support.mails import make_mail

pytestmark = pytest.mark.integration

SCRIPT = Path(sys.executable).parent / "inbox-worker"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None,
        stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER")}
    environ.update(env or {})
    return subprocess.run(
        [str(SCRIPT), *args], cwd=cwd, env=environ, capture_output=True, timeout=120,
        input=stdin.decode() if stdin else None, text=True,
    )


def one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("inbox-worker: error: ")
    assert fragment in lines[0], lines[0]


def config(tmp_path: Path, database_url: str, mailbox: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(f'[database]\nurl = "{database_url}"\n[mailbox]\n{mailbox}\n')
    return path


def test_embedded_default_from_stdin_and_json_contract(tmp_path: Path) -> None:
    """No configuration at all: SQLite and a Maildir under var/, `ingest` from stdin."""
    result = run("ingest", "--json", cwd=tmp_path, stdin=make_mail(subject="Hello"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["outcome"] == "created"
    assert (tmp_path / "var" / "inbox-worker.db").exists()
    queue = json.loads(run("queue", "--json", cwd=tmp_path).stdout)
    ticket = queue[0]
    for key in ("ref", "token", "subject", "customer", "status", "queue_position", "priority",
                "category", "assignee", "created_at", "updated_at", "closed_at",
                "scheduled_for", "linked_to"):
        assert key in ticket
    shown = run("tickets", "show", ticket["ref"], "--json", cwd=tmp_path)
    detail = json.loads(shown.stdout)
    assert set(detail["messages"][0]) >= {"message_id", "direction", "kind", "from", "to",
                                          "subject", "text", "full_text", "attachments"}
    assert detail["events"][0]["at"]
    by_token = json.loads(run("tickets", "show", ticket["token"], "--json", cwd=tmp_path).stdout)
    assert by_token["ref"] == ticket["ref"]


def test_now_option_and_environment(tmp_path: Path) -> None:
    result = run("--now", "2027-01-05T10:00:00Z", "ingest", "--json", cwd=tmp_path,
                 stdin=make_mail())
    assert result.returncode == 0, result.stderr
    listing = json.loads(run("tickets", "list", "--json", cwd=tmp_path).stdout)
    assert listing[0]["created_at"] == "2027-01-05T10:00:00Z"
    env_run = run("ingest", cwd=tmp_path, stdin=make_mail(sender="x@y.test"),
                  env={"INBOX_WORKER_NOW": "2027-02-01T00:00:00+01:00"})
    assert env_run.returncode == 0
    listing = json.loads(run("tickets", "list", "--json", cwd=tmp_path).stdout)
    assert listing[1]["created_at"] == "2027-01-31T23:00:00Z"
    one_line_error(run("--now", "yesterday", "queue", cwd=tmp_path), "ISO 8601")


def test_config_from_environment_variable(tmp_path: Path) -> None:
    path = config(tmp_path, f"sqlite:///{tmp_path / 'env.db'}", 'url = "maildir:mails"')
    result = run("queue", cwd=tmp_path, env={"INBOX_WORKER_CONFIG": str(path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.db").exists()


def test_errors_are_one_clear_line(tmp_path: Path, imap_account: ImapAccount) -> None:
    one_line_error(run("--config", str(tmp_path / "missing.toml"), "queue", cwd=tmp_path),
                   "does not exist")
    bad = tmp_path / "bad.toml"
    bad.write_text("[mailbox]\nurl = 'pop3://x'\n")
    one_line_error(run("--config", str(bad), "queue", cwd=tmp_path), "expected maildir")
    one_line_error(run("tickets", "show", "T-999", cwd=tmp_path), "no ticket")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    unreachable = config(tmp_path, db, 'url = "imap://127.0.0.1:1/INBOX"\nsecurity = "none"\n'
                         'username = "u"\npassword_env = "P"')
    one_line_error(run("--config", str(unreachable), "poll", "--once", cwd=tmp_path,
                       env={"P": "x"}), "127.0.0.1:1")
    wrong = config(tmp_path, db, f'url = "imap://127.0.0.1:{imap_account.port}/INBOX"\n'
                   f'security = "none"\nusername = "{imap_account.user}"\npassword_env = "P"')
    one_line_error(run("--config", str(wrong), "poll", "--once", cwd=tmp_path,
                       env={"P": "wrong"}), "refused")
    one_line_error(run("--config", str(wrong), "poll", "--once", cwd=tmp_path),
                   "P is not set")
    pg_down = config(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:1/none",
                     'url = "maildir:m"')
    one_line_error(run("--config", str(pg_down), "queue", cwd=tmp_path), "database")


def test_quarantine_list_show_and_retry(tmp_path: Path) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text('[mailbox]\nurl = "maildir:var/mail"\nmax_message_bytes = 200\n')
    relaxed = tmp_path / "relaxed.toml"
    relaxed.write_text('[mailbox]\nurl = "maildir:var/mail"\n')
    result = run("--config", str(strict), "ingest", "--json", cwd=tmp_path,
                 stdin=make_mail(subject="Long one", body="words " * 200))
    assert json.loads(result.stdout)[0]["outcome"] == "quarantined"
    [record] = json.loads(run("quarantine", "list", "--json", cwd=tmp_path).stdout)
    assert "limit" in record["reason"] and record["state"] == "held"
    # Unparsed, yet triaged: who sent it, about what, which mail (issue 17).
    assert record["subject"] == "Long one" and "@" in record["sender"]
    assert record["message_id"] and "<" not in record["message_id"]
    shown = json.loads(run("quarantine", "show", str(record["id"]), "--json",
                           cwd=tmp_path).stdout)
    assert "Subject: Long one" in shown["raw"]
    # Still over the limit: stays quarantined, exit 1, retry counted.
    again = run("--config", str(strict), "quarantine", "retry", str(record["id"]), cwd=tmp_path)
    assert again.returncode == 1
    retried = run("--config", str(relaxed), "quarantine", "retry", str(record["id"]), "--json",
                  cwd=tmp_path)
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["outcome"] == "created"
    assert json.loads(run("quarantine", "list", "--json", cwd=tmp_path).stdout) == []
    [released] = json.loads(run("quarantine", "list", "--all", "--json", cwd=tmp_path).stdout)
    assert released["state"] == "released" and released["retries"] == 2
    one_line_error(run("quarantine", "show", "999", cwd=tmp_path), "no quarantined mail")


def test_targets_digest_and_alert_previews_from_the_command_line(tmp_path: Path) -> None:
    """Response targets in the JSON, `digest send`, and an alert previewed with a ticket."""
    opened = run("--now", "2026-11-02T09:00:00Z", "ingest", cwd=tmp_path,
                 stdin=make_mail(subject="Printer jams"))
    assert opened.returncode == 0, opened.stderr
    later = ("--now", "2026-11-03T10:00:00Z")
    [ticket] = json.loads(run(*later, "queue", "--json", cwd=tmp_path).stdout)
    assert ticket["due_at"] == "2026-11-03T09:00:00Z"  # a normal ticket: 24 hours
    assert ticket["breached"] == ["first_response"]
    rules = json.loads(run(*later, "rules", "run", "--json", cwd=tmp_path).stdout)
    assert rules["escalated"] == 1
    again = json.loads(run(*later, "rules", "run", "--json", cwd=tmp_path).stdout)
    assert again["escalated"] == 0  # once per breach
    digest = run(*later, "digest", "send", "--once", "--json", cwd=tmp_path)
    assert digest.returncode == 0, digest.stderr
    assert json.loads(digest.stdout)["day"] == "2026-11-03"
    twice = json.loads(run(*later, "digest", "send", "--once", "--json", cwd=tmp_path).stdout)
    assert twice["already_sent"]
    preview = run("templates", "preview", "alert", "--ticket", "T-1", cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    assert "Printer jams" in preview.stdout and "T-1" in preview.stdout
    one_line_error(run("templates", "preview", "alarm", "--ticket", "T-1", cwd=tmp_path),
                   "unknown notice")


HOSTILE = (b"From: =?UTF-8?Q?Ev=1B[31mil?= <x@y.test>\nTo: support@example.com\n"
           b"Subject: Out of office \x1b]0;pwned\x07\nAuto-Submitted: auto-replied\n"
           b"Message-ID: <q1@y.test>\n\nI am away \x1b[2J\n")


def test_filters_take_names_as_typed_and_refuse_unknown_ones(tmp_path: Path) -> None:
    run("ingest", cwd=tmp_path, stdin=make_mail(subject="Hello"))
    for typed in ("open", "OPEN", "Open"):
        listed = json.loads(run("tickets", "list", "--status", typed, "--json",
                                cwd=tmp_path).stdout)
        assert [t["ref"] for t in listed] == ["T-1"]
    assert json.loads(run("tickets", "list", "--status", "in-progress", "--json",
                          cwd=tmp_path).stdout) == []
    shown = json.loads(run("tickets", "show", "T-1", "--json", cwd=tmp_path).stdout)
    assert shown["messages"][0]["date"] == "2026-11-02T08:00:00Z"  # the mail's own Date
    one_line_error(run("tickets", "list", "--status", "done", cwd=tmp_path),
                   "unknown status 'done': use one of Open, In Progress")
    one_line_error(run("outbox", "list", "--state", "queued", cwd=tmp_path),
                   "unknown state 'queued'")


def test_the_outbox_shown_and_a_failed_mail_sent_again(tmp_path: Path) -> None:
    run("ingest", cwd=tmp_path, stdin=make_mail(subject="Printer"))
    [row] = json.loads(run("outbox", "list", "--json", cwd=tmp_path).stdout)
    assert (row["state"], row["template"], row["ticket"]) == ("pending", "acknowledged", "T-1")
    shown = run("outbox", "show", str(row["id"]), cwd=tmp_path)
    assert shown.returncode == 0 and "Subject: [IW-" in shown.stdout
    assert "We have received your request" in shown.stdout
    one_line_error(run("outbox", "retry", str(row["id"]), cwd=tmp_path), "only a failed one")
    # The relay refused it for good; the admin fixed the cause and sends it again.
    import sqlite3

    with sqlite3.connect(tmp_path / "var" / "inbox-worker.db") as db:
        db.execute("UPDATE outbox SET state = 'failed', attempts = 12, last_error = '550 no'")
    failed = json.loads(run("outbox", "list", "--state", "Failed", "--json",
                            cwd=tmp_path).stdout)
    assert [r["last_error"] for r in failed] == ["550 no"]
    retried = run("outbox", "retry", str(row["id"]), cwd=tmp_path)
    assert retried.returncode == 0 and "sent" in retried.stdout
    [after] = json.loads(run("outbox", "list", "--json", cwd=tmp_path).stdout)
    assert after["state"] == "sent"
    one_line_error(run("outbox", "show", "99", cwd=tmp_path), "no outbox mail")


def test_quarantine_show_escapes_what_a_terminal_would_run(tmp_path: Path) -> None:
    run("ingest", cwd=tmp_path, stdin=HOSTILE)
    shown = run("quarantine", "show", "1", cwd=tmp_path)
    assert shown.returncode == 0
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "\\x1b]0;pwned\\x07" in shown.stdout
    exported = subprocess.run([str(SCRIPT), "quarantine", "export", "1"], cwd=tmp_path,
                              capture_output=True, timeout=60,
                              env={k: v for k, v in os.environ.items()
                                   if not k.startswith("INBOX_WORKER")})
    assert exported.returncode == 0 and exported.stdout == HOSTILE


def test_a_newcomers_config_mistakes_are_all_named_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[support]\naddres = "help@example.com"\n\n[policy]\nauto_close_day = 7\n')
    result = run("--config", str(path), "queue", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"inbox-worker: error: {path}:2: [support] addres: unknown key; did you mean address?",
        f"inbox-worker: error: {path}:5: [policy] auto_close_day: unknown key; "
        "did you mean auto_close_days?",
    ]
    path.write_text('[mailbox]\nurl = "maildir:no-such-folder/mail"\n')
    one_line_error(run("--config", str(path), "queue", cwd=tmp_path),
                   "[mailbox] url: the folder no-such-folder does not exist")
    assert not (tmp_path / "no-such-folder").exists()


def test_template_previews_show_the_mail_or_fail(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from inbox_worker.cli import main
    from inbox_worker.notices.variables import NOTICE_KINDS

    (tmp_path / "templates").mkdir()
    path = tmp_path / "c.toml"
    path.write_text('[support]\ntoken_prefix = "ACME"\n[templates]\ndir = "templates"\n'
                    f'[database]\nurl = "sqlite:///{tmp_path / "t.db"}"\n'
                    f'[mailbox]\nurl = "maildir:{tmp_path / "mail"}"\n')
    assert run("--config", str(path), "ingest", cwd=tmp_path,
               stdin=make_mail(subject="Scanner offline")).returncode == 0
    [ticket] = json.loads(run("--config", str(path), "queue", "--json", cwd=tmp_path).stdout)
    monkeypatch.chdir(tmp_path)  # the templates folder is relative, as in the README
    # The subject the mail will have, token included, with sample data and with the ticket.
    assert main(["--config", str(path), "templates", "preview", "answer"]) == 0
    assert capsys.readouterr().out.startswith("Subject: [ACME-7K3M9QX2PD] ")
    for kind in NOTICE_KINDS:
        assert main(["--config", str(path), "templates", "preview", kind,
                     "--ticket", ticket["ref"]]) == 0, kind
        shown = capsys.readouterr().out
        subject = shown.splitlines()[0]
        if kind == "digest":
            assert ticket["ref"] in shown, kind
        else:
            assert subject.startswith(f"Subject: [{ticket['token']}] "), (kind, subject)
            assert "Scanner offline" in shown, kind
    # A broken template: the errors and a non-zero exit, never the version that goes instead.
    (tmp_path / "templates" / "answer.txt.j2").write_text("Subject: {{ ticket.subjetc }}\n\n"
                                                          "Hi {{ custmer }}\n")
    assert main(["--config", str(path), "templates", "preview", "answer"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "answer.txt.j2:1: unknown field ticket.subjetc" in err
    assert "answer.txt.j2:3: unknown variable 'custmer'" in err
    assert main(["--config", str(path), "templates", "preview", "answered"]) == 2
    assert "unknown notice 'answered'" in capsys.readouterr().err


def test_tickets_list_pages_by_status_in_a_stable_order(tmp_path: Path,
                                                        database_url: str) -> None:
    """`tickets list` a page at a time (--limit, --offset), by status (repeated or a comma
    list); queue places on a page are those of the whole queue."""
    from sqlalchemy import update

    from inbox_worker.store.database import make_engine
    from inbox_worker.store.models import Ticket

    path = config(tmp_path, database_url, 'url = "maildir:mails"')
    mails = []
    for number in range(1, 8):
        mail = tmp_path / f"{number}.eml"
        mail.write_bytes(make_mail(sender=f"c{number}@customer.test", subject=f"Issue {number}"))
        mails.append(str(mail))
    assert run("--config", str(path), "ingest", *mails, cwd=tmp_path).returncode == 0
    engine = make_engine(database_url)
    with engine.begin() as connection:  # T-1 Open, T-2 Closed, T-3 Open, T-4 Answered...
        for ids, status in (((2, 5), "Closed"), ((4,), "Answered"), ((6,), "On-Hold")):
            connection.execute(update(Ticket).where(Ticket.id.in_(ids)).values(status=status))
        connection.execute(update(Ticket).where(Ticket.id == 3).values(priority="urgent"))
    engine.dispose()

    def refs(*args: str) -> list[str]:
        result = run("--config", str(path), "tickets", "list", "--json", *args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return [t["ref"] for t in json.loads(result.stdout)]

    everything = refs()
    assert everything == [f"T-{n}" for n in range(1, 8)]
    pages = [refs("--limit", "3", "--offset", str(start)) for start in (0, 3, 6, 9)]
    assert pages == [everything[0:3], everything[3:6], everything[6:], []]
    assert refs("--status", "closed,on-hold") == ["T-2", "T-5", "T-6"]
    assert refs("--status", "closed", "--status", "On Hold", "--limit", "1",
                "--offset", "1") == ["T-5"]
    queued = json.loads(run("--config", str(path), "tickets", "list", "--json", "--status",
                            "open", "--offset", "1", cwd=tmp_path).stdout)
    # T-3 (urgent) leads the queue, then T-1 and T-7 in their places in line.
    assert [(t["ref"], t["queue_position"]) for t in queued] == [("T-3", 1), ("T-7", 3)]
    table = run("--config", str(path), "tickets", "list", "--limit", "2", cwd=tmp_path)
    assert table.stdout.rstrip().endswith("(1-2 of 7 ticket(s); the next page: --offset 2)")
    shown = json.loads(run("--config", str(path), "tickets", "show", "T-7", "--json",
                           cwd=tmp_path).stdout)
    assert shown["queue_position"] == 3
    for args, fragment in ((("--limit", "0"), "--limit takes a whole number from 1 up"),
                           (("--limit", "ten"), "not 'ten'"),
                           (("--offset", "-1"), "--offset takes a whole number from 0 up"),
                           (("--status", "open,done"), "unknown status 'done'")):
        bad = run("--config", str(path), "tickets", "list", *args, cwd=tmp_path)
        one_line_error(bad, fragment)
        assert bad.returncode == 2  # as every usage error
