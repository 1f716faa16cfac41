"""Composing a notice: headers, threading, encodings, and no header injection."""

from __future__ import annotations

import base64
import email
import random
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from inbox_worker.domain import correlate
from inbox_worker.notices import compose as compose_module
from inbox_worker.notices.compose import (
    _PLAIN_ADDRESS,
    OutgoingAttachment,
    _parse_address,
    attachment_content_type,
    attachment_filename,
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


def test_auto_submitted_for_alerts() -> None:
    message = parse(compose(auto_submitted="auto-generated"))
    assert message["Auto-Submitted"] == "auto-generated"
    assert list(message.keys()) == EXPECTED_HEADERS


@pytest.mark.parametrize(
    "value", ["", "no", "auto-notified", "Auto-Replied", " auto-replied", "auto-replied\r\nBcc: x"]
)
def test_auto_submitted_takes_only_the_values_we_send(value: str) -> None:
    with pytest.raises(ValueError):
        compose(auto_submitted=value)


# --- attachments ---

MIXED_HEADERS = [h for h in EXPECTED_HEADERS if h != "Content-Transfer-Encoding"]
PART_HEADERS = ["Content-Type", "Content-Disposition", "Content-Transfer-Encoding"]
PDF = OutgoingAttachment("report.pdf", "application/pdf", b"%PDF-1.7\n\x00\xff binary")
PNG = OutgoingAttachment("photo.png", "image/png", b"\x89PNG\r\n\x1a\n")


def parts_of(message: EmailMessage) -> list[EmailMessage]:
    """The direct subparts of a multipart."""
    payload = message.get_payload()
    assert isinstance(payload, list)
    parts = [part for part in payload if isinstance(part, EmailMessage)]
    assert len(parts) == len(payload)
    return parts


def attachments_of(message: EmailMessage) -> list[EmailMessage]:
    """The attachments as the stdlib sees them, checked to carry nothing but our headers."""
    found: list[EmailMessage] = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        found.append(part)
        assert list(part.keys()) == PART_HEADERS
        assert part.get_content_disposition() == "attachment"
        assert set(part["Content-Type"].params) == {"name"}
        assert set(part["Content-Disposition"].params) == {"filename"}
        assert part["Content-Type"].params["name"] == part.get_filename()
        assert not part.defects
    assert [p for p in message.walk() if p.is_attachment()] == found
    return found


def test_attachments_follow_the_text_in_a_multipart_mixed() -> None:
    raw = compose(attachments=[PDF, PNG])
    message = parse(raw)
    assert list(message.keys()) == MIXED_HEADERS
    assert message.get_content_type() == "multipart/mixed"
    assert not message.defects
    first, *rest = parts_of(message)
    assert first.get_content_type() == "text/plain" and not first.is_attachment()
    assert content(message.get_body(("plain",))) == "Hello Jane,\n\nfixed.\n"
    found = attachments_of(message)
    assert rest == found
    assert [(p.get_filename(), p.get_content_type()) for p in found] == [
        ("report.pdf", "application/pdf"),
        ("photo.png", "image/png"),
    ]
    assert [p.get_payload(decode=True) for p in found] == [PDF.data, PNG.data]
    assert raw.isascii() and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))


def test_html_alternative_is_kept_before_the_attachments() -> None:
    rendered = RenderedNotice("Printer jams", "Hello Jane\n", "<p>Hello Jane</p>\n")
    message = parse(compose(rendered=rendered, attachments=[PDF]))
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = parts_of(message)
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parts_of(alternative)] == [
        "text/plain",
        "text/html",
    ]
    assert content(message.get_body(("plain",))) == "Hello Jane\n"
    assert content(message.get_body(("html",))) == "<p>Hello Jane</p>\n"
    assert attachments_of(message) == [attachment]
    assert attachment.get_payload(decode=True) == PDF.data


def test_without_attachments_the_message_is_as_before() -> None:
    assert parse(compose(attachments=[])).get_content_type() == "text/plain"
    html = RenderedNotice("s", "t\n", "<p>t</p>\n")
    assert parse(compose(rendered=html, attachments=())).get_content_type() == (
        "multipart/alternative"
    )


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 3, b"", b"\r\n", b"x", random.Random(7).randbytes(1 << 20)],
    ids=["every-byte", "empty", "crlf", "one-byte", "1MB"],
)
def test_attachment_bytes_round_trip_exactly(data: bytes) -> None:
    raw = compose(attachments=[OutgoingAttachment("data.bin", "application/octet-stream", data)])
    [part] = attachments_of(parse(raw))
    assert part.get_payload(decode=True) == data
    assert raw.isascii()
    body_lines = raw.split(b"\r\n\r\n")[-1].split(b"\r\n")
    assert all(len(line) <= 76 for line in body_lines)
    assert len(raw) < len(data) * 1.4 + 2000


@pytest.mark.parametrize(
    "name",
    [
        "Überweisung März.pdf",
        "报告.pdf",
        "Привет, мир.docx",
        "日本語のファイル名" * 20 + ".xlsx",  # 184 characters: many RFC 2231 sections
        "emoji 📎 😀.txt",
        "café – 100 %.pdf",
    ],
)
def test_non_ascii_filenames_come_back_exactly(name: str) -> None:
    raw = compose(attachments=[OutgoingAttachment(name, "application/pdf", b"x")])
    assert raw.isascii()
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    [part] = attachments_of(parse(raw))
    assert part.get_filename() == name
    assert b"filename*" in raw and b"name*" in raw


@pytest.mark.parametrize(
    "name",
    ["report.pdf", 'say "hi".txt', "a;b=c.pdf", "x (1).pdf", "it's 100%.txt", "a" * 200],
)
def test_ascii_filenames_go_as_quoted_strings(name: str) -> None:
    raw = compose(attachments=[OutgoingAttachment(name, "text/plain", b"x")])
    quoted = name.replace('"', '\\"')
    assert f'filename="{quoted}"'.encode() in raw and f'name="{quoted}"'.encode() in raw
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    [part] = attachments_of(parse(raw))
    assert part.get_filename() == name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("  C:\\Users\\jane\\Desktop\\report.pdf ", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("dir/", "attachment"),
        ("", "attachment"),
        ("..", "attachment"),
        (" . ", "attachment"),
        ("a\r\nb.pdf", "a b.pdf"),
        ("a\x00\tb\u2028c\x85d", "a b c d"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # shown as "invoiceexe.pdf"
        ("\u2067a\u2069.txt", "a.txt"),
        ("\udcff.pdf", "?.pdf"),  # a lone surrogate from a surrogateescape decoding
        ("Me\u0301lanie.pdf", "Mélanie.pdf"),  # NFC
        ("x" * 250 + ".pdf", "x" * 196 + ".pdf"),
        ("x" * 250, "x" * 200),
        ("x" * 250 + ".averyveryverylongextension", "x" * 200),
        ("=?utf-8?b?Li4vZXZpbA==?=", "=?utf-8?b?Li4vZXZpbA==?="),
    ],
)
def test_attachment_filename(name: str, expected: str) -> None:
    assert attachment_filename(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/pdf", "application/pdf"),
        (" Image/PNG ", "image/png"),
        ("application/vnd.ms-excel", "application/vnd.ms-excel"),
        ("text/plain; charset=utf-8", "application/octet-stream"),
        ("text/html\r\nX-Evil: 1", "application/octet-stream"),
        ('text/plain"', "application/octet-stream"),
        ("text /plain", "application/octet-stream"),
        ("a/b/c", "application/octet-stream"),
        ("application", "application/octet-stream"),
        ("", "application/octet-stream"),
        ("x" * 128 + "/y", "application/octet-stream"),
        ("ｔext/plain", "application/octet-stream"),
        ("multipart/mixed", "application/octet-stream"),
        ("message/rfc822", "application/octet-stream"),
    ],
)
def test_attachment_content_type(value: str, expected: str) -> None:
    assert attachment_content_type(value) == expected


BOUNDARY = "=_iw_mixed_" + "0" * 24


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.pdf\r\nBcc: victim@example.net", "application/pdf"),
        ("a.pdf", "application/pdf\r\nBcc: victim@example.net"),
        ('a.pdf"\r\nX-Evil: 1\r\n\r\n', 'application/pdf"; x="'),
        ('a.pdf"; filename="evil.exe', "application/pdf; name=evil.exe"),
        (f"x\r\n--{BOUNDARY}\r\nContent-Type: text/html\r\n\r\n<script>", "text/plain"),
        (f"x\n\n--{BOUNDARY}--\n", f"multipart/mixed; boundary={BOUNDARY}"),
        (f"--{BOUNDARY}", "text/plain"),
        ("ü\r\nX-Evil: 1", "text/plain\rX-Evil: 1"),
        ("\\\\server\\share\\a.exe", "application/x-msdownload"),
        ("=?utf-8?b?Li4vZXZpbA==?=", "text/plain"),  # would be "../evil" if decoded
    ],
)
def test_hostile_filenames_and_content_types_add_no_header_or_part(
    name: str, content_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fixed boundary, so the names above hold exactly the boundary of the mail.
    monkeypatch.setattr(compose_module.secrets, "token_hex", lambda n: "00" * n)
    raw = compose(attachments=[OutgoingAttachment(name, content_type, b"data"), PDF])
    assert raw.count(f"\r\n--{BOUNDARY}\r\n".encode()) == 3  # text and two attachments
    message = parse(raw)
    assert list(message.keys()) == MIXED_HEADERS
    assert len(parts_of(message)) == 3
    first, second = attachments_of(message)
    assert first.get_filename() == attachment_filename(name)
    assert first.get_content_type() == attachment_content_type(content_type)
    assert first.get_payload(decode=True) == b"data"
    assert second.get_filename() == "report.pdf" and second.get_payload(decode=True) == PDF.data
    assert content(message.get_body(("plain",))) == "Hello Jane,\n\nfixed.\n"


def test_nested_boundaries_differ_even_with_the_same_random_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compose_module.secrets, "token_hex", lambda n: "00" * n)
    rendered = RenderedNotice("s", "text\n", "<p>html</p>\n")
    message = parse(compose(rendered=rendered, attachments=[PDF]))
    alternative, attachment = parts_of(message)
    assert len(parts_of(alternative)) == 2
    assert attachments_of(message) == [attachment]
    assert content(message.get_body(("html",))) == "<p>html</p>\n"


_FILENAME_CHARS = "aZ0 ._-\"'\\/;:=?*%()<>@,[]\r\n\t\x00éü报😀\u202e\u2028"
_filenames = (
    st.text(alphabet=_FILENAME_CHARS, max_size=40)
    | st.text(max_size=260)
    | st.sampled_from(["=?utf-8?q?a?=", f"--{BOUNDARY}", "--=_iw_00", "utf-8''%41"])
)
_content_types = (
    st.from_regex(r"[a-zA-Z0-9.+-]{1,20}/[a-zA-Z0-9.+-]{1,20}", fullmatch=True)
    | st.text(alphabet="ab/;= \"\r\n-", max_size=20)
    | st.text(max_size=30)
)
_attachments = st.builds(OutgoingAttachment, _filenames, _content_types, st.binary(max_size=200))


@given(st.lists(_attachments, min_size=1, max_size=4), st.booleans())
@settings(max_examples=300, deadline=None)
# Names of quotes alone were read back two ways when sent as a quoted-string.
@example([OutgoingAttachment('""', "text/plain", b"x")], False)
@example([OutgoingAttachment('say "hi" \\ bye.txt', "text/plain", b"x")], True)
def test_any_attachments_round_trip(attachments: list[OutgoingAttachment], html: bool) -> None:
    rendered = RenderedNotice("Printer jams", "text\n", "<p>html</p>\n" if html else None)
    raw = compose(rendered=rendered, attachments=attachments)
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = parse(raw)
    assert list(message.keys()) == MIXED_HEADERS
    assert not message.defects
    assert len(parts_of(message)) == 1 + len(attachments)
    assert len(list(message.walk())) == (4 if html else 2) + len(attachments)
    assert content(message.get_body(("plain",))) == "text\n"
    found = attachments_of(message)
    assert len(found) == len(attachments)
    for part, attachment in zip(found, attachments, strict=True):
        assert part.get_payload(decode=True) == attachment.data
        assert part.get_filename() == attachment_filename(attachment.filename)
        assert part.get_content_type() == attachment_content_type(attachment.content_type)


@given(st.text(max_size=400) | st.text(alphabet=_FILENAME_CHARS, max_size=300))
@settings(max_examples=300)
def test_attachment_filename_is_one_safe_line(name: str) -> None:
    safe = attachment_filename(name)
    assert 1 <= len(safe) <= 200
    assert safe == safe.strip() and safe.strip(".")
    assert not safe.startswith('"') and not safe.endswith('"')
    assert not re.search(r"[\x00-\x1f\x7f-\x9f/\\\u2028\u2029\u202a-\u202e\u2066-\u2069]", safe)
    safe.encode("utf-8")  # no lone surrogates
    assert attachment_filename(safe) == safe


def test_an_address_with_a_comma_is_refused() -> None:
    """SMTP clients take a quoted comma for two recipients: "ceo,cfo"@x would reach two
    internal mailboxes through a relay that adds its own domain."""
    for address in ('"ceo,cfo"@example.com', '"support,x"@evil.example'):
        with pytest.raises(ValueError, match="comma"):
            parse_single_address(address)
