"""Composing a notice: headers, threading, encodings, and no header injection."""

from __future__ import annotations

import base64
import email
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_worker.domain import correlate
from inbox_worker.notices.compose import (
    _PLAIN_ADDRESS,
    _parse_address,
    compose_notice,
    new_message_id,
    one_line,
    parse_single_address,
)
from inbox_worker.notices.render import RenderedNotice

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TOKEN = "IW-7K3M9QX2PD"

EXPECTED_HEADERS = [
    "From", "To", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Auto-Submitted", "X-Auto-Response-Suppress", "X-Inbox-Worker-Loop",
    "X-Inbox-Worker-Notice", "Content-Type", "Content-Transfer-Encoding", "MIME-Version",
]  # fmt: skip


def compose(**changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "rendered": RenderedNotice("Printer jams", "Hello Jane,\n\nfixed.\n", None),
        "kind": "answer",
        "from_name": "Example Support",
        "from_addr": "support@example.com",
        "to_addr": "jane@example.org",
        "to_name": "Jane Doe",
        "token": TOKEN,
        "message_id": "iw.0123456789abcdef@example.com",
        "in_reply_to": "customer-2@example.org",
        "references": ["customer-1@example.org", "iw.ack@example.com", "customer-2@example.org"],
        "date": NOW,
    }
    arguments.update(changes)
    return compose_notice(**arguments)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def content(part: MIMEPart | None) -> str:
    """A text part's decoded content, with the wire's CRLF turned back into LF."""
    assert part is not None
    text = part.get_content()
    assert isinstance(text, str)
    return text.replace("\r\n", "\n")


def test_headers_of_a_notice() -> None:
    raw = compose()
    message = parse(raw)
    assert list(message.keys()) == EXPECTED_HEADERS
    assert message["From"] == "Example Support <support@example.com>"
    assert message["To"] == "Jane Doe <jane@example.org>"
    assert message["Reply-To"] == "support@example.com"
    assert message["Subject"] == f"[{TOKEN}] Printer jams"
    assert message["Message-ID"] == "<iw.0123456789abcdef@example.com>"
    assert message["In-Reply-To"] == "<customer-2@example.org>"
    assert message["References"] == (
        "<customer-1@example.org> <iw.ack@example.com> <customer-2@example.org>"
    )
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["X-Inbox-Worker-Loop"] == "support@example.com"
    assert message["Date"].datetime == NOW
    assert "Precedence" not in message
    assert message.get_content_type() == "text/plain"
    assert content(message) == "Hello Jane,\n\nfixed.\n"
    # SMTP-ready: CRLF line ends only, 7-bit, no line over 78 characters in the headers.
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.isascii()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))


def test_subject_that_already_has_the_token_is_not_doubled() -> None:
    raw = compose(rendered=RenderedNotice(f"Re: [{TOKEN}] Printer", "x\n"))
    assert parse(raw)["Subject"] == f"Re: [{TOKEN}] Printer"
    assert correlate.find_tokens(parse(raw)["Subject"]) == [TOKEN]


def test_no_threading_headers_for_a_fresh_conversation() -> None:
    message = parse(compose(in_reply_to=None, references=[]))
    assert "In-Reply-To" not in message and "References" not in message


def test_long_message_ids_are_folded_not_encoded() -> None:
    long_id = "CAH" + "x" * 120 + "@mail.gmail.com"
    ids = [long_id] + [f"{n}.abcdefghij@example.org" for n in range(20)]
    raw = compose(in_reply_to=long_id, references=ids)
    assert b"=?" not in raw.split(b"\r\n\r\n")[0]
    message = parse(raw)
    assert message["In-Reply-To"] == f"<{long_id}>"
    assert message["References"].split() == [f"<{i}>" for i in ids]


def test_unusable_reference_ids_are_dropped() -> None:
    message = parse(compose(in_reply_to="has space@x", references=["ok@x", "a\r\nBcc: y@z", "<>"]))
    assert "In-Reply-To" not in message
    assert message["References"] == "<ok@x>"


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("Jürgen Müller", "Drucker druckt nicht – Grüße"),
        ("王小明", "打印机卡纸"),
        ("Zoë \"the boss\" O'Brien, Ph.D.", "Ça ne marche pas ✓"),
        ("Анна", "Принтер не работает " * 6),
    ],
)
def test_non_ascii_names_and_subjects_are_encoded(name: str, subject: str) -> None:
    body = f"Hallo {name}, {subject}\n"
    raw = compose(to_name=name, rendered=RenderedNotice(subject, body, f"<p>{name}</p>\n"))
    assert raw.isascii()
    assert b"=?utf-8?" in raw
    message = parse(raw)
    assert message["To"].addresses[0].display_name == name
    assert message["To"].addresses[0].addr_spec == "jane@example.org"
    assert message["Subject"] == f"[{TOKEN}] {subject.strip()}"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert content(text) == body
    assert content(html) == f"<p>{name}</p>\n"


@pytest.mark.parametrize(
    "evil",
    [
        "Hi\r\nBcc: victim@example.net",
        "Hi\nBcc: victim@example.net",
        "Hi\rBcc: victim@example.net",
        "Hi\r\n\r\nInjected body",
        "Hi\x00\r\nX-Evil: 1",
        "Hi\u2028Bcc: victim@example.net",
        "Hi\x85Bcc: victim@example.net",
        "Hi\x0bBcc: victim@example.net\x0c",
    ],
)
def test_line_breaks_in_subject_and_names_add_no_header(evil: str) -> None:
    raw = compose(
        rendered=RenderedNotice(evil, "body\n"),
        to_name=evil,
        from_name=evil,
        token=TOKEN,
    )
    message = parse(raw)
    assert list(message.keys()) == EXPECTED_HEADERS
    assert "Bcc" not in message and "X-Evil" not in message
    assert content(message) == "body\n"
    for header in ("Subject", "To", "From"):
        assert "\n" not in str(message[header]) and "\r" not in str(message[header])
    assert len(message["To"].addresses) == 1
    assert message["To"].addresses[0].addr_spec == "jane@example.org"


@pytest.mark.parametrize(
    "address",
    [
        "",
        "jane",
        "jane@",
        "@example.org",
        "jane@example.org, victim@example.net",
        "jane@example.org\r\nBcc: victim@example.net",
        "jane@example.org\nBcc: victim@example.net",
        "Jane <jane@example.org>",
        "jane@example.org victim@example.net",
        "jane@@example.org",
        "jane@exa mple.org",
        "jöne@example.org",
        "jane@localhost",
        "jane@example.org\x00",
        "<jane@example.org>",
        "jane@example.org;victim@example.net",
    ],
)
def test_implausible_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError):
        compose(to_addr=address)
    with pytest.raises(ValueError):
        parse_single_address(address)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("jane@example.org", ("jane", "example.org")),
        ("  Jane.Doe+tickets@Example.ORG ", ("Jane.Doe+tickets", "example.org")),
        ("o'brien@example.ie", ("o'brien", "example.ie")),
        ("jane@bücher.example", ("jane", "xn--bcher-kva.example")),
    ],
)
def test_plausible_addresses(address: str, expected: tuple[str, str]) -> None:
    assert parse_single_address(address) == expected


_ADDRESS_CHARS = "aZ09.-+_'!#{}~@\"()<>[]:;,\\ é\r\n\t"


@settings(max_examples=800)
@given(st.text(alphabet=_ADDRESS_CHARS, max_size=24)
       | st.from_regex(r"[a-z0-9.'+-]{1,8}@[A-Za-z0-9.-]{1,12}", fullmatch=True))
def test_the_plain_address_shortcut_agrees_with_the_stdlib_parser(address: str) -> None:
    """Addresses the shortcut takes are exactly what the stdlib's parser gives back."""
    if not _PLAIN_ADDRESS.fullmatch(address.strip()):
        return
    assert parse_single_address(address) == _parse_address(address)


def test_the_plain_address_shortcut_is_taken_for_ordinary_addresses() -> None:
    for address in ("jane@example.org", "Jane.Doe+tickets@Example.ORG", "o'brien@example.ie",
                    "a-b_c@mail.sub-domain.example.co.uk"):
        assert _PLAIN_ADDRESS.fullmatch(address)
    for address in ("jane@localhost", "jane@-example.org", "jane@example..org", ".jane@x.org",
                    "jane.@x.org", "jane@bücher.example", '"j d"@x.org', "jane@x.org.",
                    "a@b@c.org"):
        assert not _PLAIN_ADDRESS.fullmatch(address)


def test_idn_recipient_is_sent_in_ascii() -> None:
    message = parse(compose(to_addr="jane@bücher.example"))
    assert message["To"].addresses[0].addr_spec == "jane@xn--bcher-kva.example"


def test_body_line_endings_and_nul() -> None:
    raw = compose(rendered=RenderedNotice("s", "one\r\ntwo\rthree\x00\n" + "x" * 2000 + "\n"))
    message = parse(raw)
    assert content(message) == "one\ntwo\nthree\n" + "x" * 2000 + "\n"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_new_message_id() -> None:
    first, second = new_message_id("example.com"), new_message_id("Example.COM")
    assert first != second
    assert re.fullmatch(r"iw\.[0-9a-f]{32}@example\.com", first)
    assert re.fullmatch(r"iw\.[0-9a-f]{32}@example\.com", second)
    with pytest.raises(ValueError):
        new_message_id("example.com>\r\nBcc: x")


def test_one_line() -> None:
    assert one_line(" a\r\n\tb\x00c\u2029d  ") == "a b c d"


@pytest.mark.parametrize(
    "name", ['Jane "J" Doe, Jr.', "Back\\slash (co)", "a" * 150, "   ", "O'Brien & Söhne"]
)
def test_names_round_trip(name: str) -> None:
    message = parse(compose(to_name=name, from_name=name))
    for header in ("To", "From"):
        shown = message[header].addresses[0].display_name
        if len(name) < 60:
            assert shown == one_line(name)
        else:  # several encoded words: see test_any_subject_name_and_body_round_trip
            assert shown.replace(" ", "") == one_line(name).replace(" ", "")
    head = compose(to_name=name).split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))


def test_quoted_local_part_round_trips() -> None:
    raw = compose(to_addr='"jane..doe"@example.org')
    assert b'<"jane..doe"@example.org>' in raw
    assert parse(raw)["To"].addresses[0].username == "jane..doe"


@given(st.text(max_size=300), st.text(max_size=120), st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_any_subject_name_and_body_round_trip(subject: str, name: str, body: str) -> None:
    raw = compose(rendered=RenderedNotice(subject, body, body or None), to_name=name)
    assert raw.isascii()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = parse(raw)
    assert list(message.keys())[:12] == EXPECTED_HEADERS[:12]
    assert message["Subject"] == correlate.format_subject(one_line(subject), TOKEN)
    # A long name is several encoded words; the stdlib keeps the folding space between
    # them in a display name (RFC 2047 says to drop it), so compare without spaces.
    shown = message["To"].addresses[0].display_name
    assert shown.replace(" ", "") == one_line(name)[:200].replace(" ", "")
    assert len(message["To"].addresses) == 1
    expected = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    expected = expected if expected.endswith("\n") else expected + "\n"
    part = message.get_body(("plain",))
    assert content(part) == expected


@given(st.text(min_size=1, max_size=300).filter(lambda s: not one_line(s).isascii()))
@settings(max_examples=200, deadline=None)
def test_encoded_words_hold_whole_characters_within_the_limits(subject: str) -> None:
    raw = compose(rendered=RenderedNotice(subject, "x\n", None), to_name=subject[:200])
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(line) <= 78 for line in head.split("\r\n"))
    words = re.findall(r"=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=", head)
    assert words
    for word in words:
        assert len(word) + len("=?utf-8?b??=") <= 75  # RFC 2047 section 2
        # Each word decodes alone: no character is cut between two of them.
        base64.b64decode(word).decode("utf-8")
