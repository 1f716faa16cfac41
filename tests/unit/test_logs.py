"""JSON log lines: one object a line, the message's `key=value` fields and `extra` in it."""

from __future__ import annotations

import json
import logging
import sys

from inbox_worker.logs import JsonFormatter, formatter


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    return logging.makeLogRecord({"name": "inbox_worker.mailbox", "levelname": "INFO",
                                  "levelno": logging.INFO, "msg": message, "args": args,
                                  "created": 1_796_000_000.5, **extra})


def test_the_mail_line_as_json() -> None:
    line = JsonFormatter().format(record(
        "mail key=%s outcome=%s ticket=%s message_id=%s %s", "imap:INBOX:17:42", "created",
        "T-7", "<a b@x>", "new ticket",
        mailbox="INBOX", uid="42", outcome="created", ticket="T-7", message_id="<a b@x>"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["time"] == "2026-11-30T00:53:20.500Z"
    assert entry["level"] == "INFO" and entry["logger"] == "inbox_worker.mailbox"
    assert entry["message"].startswith("mail key=imap:INBOX:17:42 outcome=created ticket=T-7")
    # `extra` wins over the text, where a value with a space was cut.
    assert entry["message_id"] == "<a b@x>"
    assert (entry["outcome"], entry["ticket"], entry["mailbox"], entry["uid"]) == (
        "created", "T-7", "INBOX", "42")
    assert entry["key"] == "imap:INBOX:17:42"


def test_fields_parsed_from_the_text_and_none_for_a_dash() -> None:
    entry = json.loads(JsonFormatter().format(record(
        "notice sent ticket=%s template=%s to=%s", "-", "answer", "c@x.test")))
    assert entry["ticket"] is None and entry["template"] == "answer"
    assert entry["to"] == "c@x.test"
    entry = json.loads(JsonFormatter().format(record(
        "pass mails=%d outcomes=%s error=%r", 2, {"created": 2}, "a b")))
    assert entry["mails"] == "2" and "outcomes" not in entry and "error" not in entry
    # A field may not replace the record's own keys.
    entry = json.loads(JsonFormatter().format(record("oops level=debug time=never")))
    assert entry["level"] == "INFO" and entry["time"].endswith("Z")


def test_an_exception_stays_on_the_line() -> None:
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        made = record("batch failed")
        made.exc_info = sys.exc_info()
    line = JsonFormatter().format(made)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_text_is_the_default_format() -> None:
    assert not isinstance(formatter("text"), JsonFormatter)
    assert isinstance(formatter("json"), JsonFormatter)
