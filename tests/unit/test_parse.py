"""parse_mail: raw bytes from the outside -> InboundMail, or UnparseableMail with a reason."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from datetime import UTC, datetime

import mailparser
import pytest

from inbox_worker.errors import UnparseableMail
from inbox_worker.mail.inbound import parse_mail

SURROGATE = re.compile("[\ud800-\udfff]")


def build(
    *headers: str | bytes,
    body: str | bytes = "Hello,\n\nthe printer is offline.\n",
    eol: bytes = b"\r\n",
    defaults: bool = True,
) -> bytes:
    """A raw mail: the given header lines (plus ordinary defaults for those not given)."""
    given = {
        (h if isinstance(h, str) else h.decode("latin-1")).split(":", 1)[0].lower() for h in headers
    }
    lines = [h.encode("utf-8") if isinstance(h, str) else h for h in headers]
    if defaults:
        for name, value in (
            ("From", "Carol Customer <carol@customer.test>"),
            ("To", "support@example.com"),
            ("Subject", "Printer offline"),
            ("Date", "Mon, 02 Nov 2026 09:00:00 +0100"),
            ("Message-ID", "<m1@customer.test>"),
        ):
            if name.lower() not in given:
                lines.append(f"{name}: {value}".encode())
    data = body.encode("utf-8") if isinstance(body, str) else body
    data = data.replace(b"\r\n", b"\n").replace(b"\n", eol)
    return eol.join(lines) + eol + eol + data


def b_word(text: str, charset: str, codec: str | None = None) -> str:
    data = text.encode(codec or charset)
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def assert_clean(text: str) -> None:
    assert isinstance(text, str)
    assert not SURROGATE.search(text)


# --- subjects ---------------------------------------------------------------------------

SUBJECTS = [
    ("plain", "Subject: Printer offline", "Printer offline"),
    (
        "iso-2022-jp",
        "Subject: " + b_word("プリンターが動きません", "ISO-2022-JP", "iso2022_jp"),
        "プリンターが動きません",
    ),
    ("gb2312", "Subject: " + b_word("打印机故障", "gb2312"), "打印机故障"),
    ("gb2312 label, GBK bytes", "Subject: " + b_word("喆的打印机", "gb2312", "gbk"), "喆的打印机"),
    (
        "ks_c_5601-1987",
        "Subject: " + b_word("프린터 고장", "ks_c_5601-1987", "cp949"),
        "프린터 고장",
    ),
    (
        "folded encoded-words",
        "Subject: =?utf-8?Q?Drucker_im_3._Stock?=\r\n =?utf-8?Q?_defekt?=",
        "Drucker im 3. Stock defekt",
    ),
    ("multi-byte char split across words", "Subject: =?utf-8?B?w6Q=?= =?utf-8?B?w7Y=?= x", "äö x"),
    ("folded plain text", "Subject: Printer\r\n\tis\r\n   broken", "Printer is broken"),
    (
        "mixed encoded and plain",
        "Subject: Re: =?iso-8859-1?Q?Gr=FC=DFe?= aus Wien",
        "Re: Grüße aus Wien",
    ),
    ("spaces inside a Q word", "Subject: =?us-ascii?Q?ABC / 123?=", "ABC / 123"),
    ("unknown charset", "Subject: =?x-unknown?Q?Gr=FC=DFe?=", "Grüße"),
    ("charset with language", "Subject: =?utf-8*de?Q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
    ("utf-7 alias", "Subject: =?unicode-1-1-utf-7?Q?+ANw-bermittlung?=", "Übermittlung"),
    ("broken base64 kept literally", "Subject: =?utf-8?B?###?=", "=?utf-8?B?###?="),
    (
        "CR LF injected through an encoded-word",
        "Subject: =?utf-8?Q?hi=0D=0ABcc:_victim@example.com?=",
        "hi Bcc: victim@example.com",
    ),
    ("NUL and controls", "Subject: =?utf-8?Q?a=00b=07c=E2=80=A8d?=", "a b c d"),
]


@pytest.mark.parametrize(
    ("header", "expected"), [c[1:] for c in SUBJECTS], ids=[c[0] for c in SUBJECTS]
)
def test_subject_is_decoded_to_one_line(header: str, expected: str) -> None:
    mail = parse_mail(build(header))
    assert mail.subject == expected
    assert "\r" not in mail.subject and "\n" not in mail.subject


RAW_8BIT_SUBJECTS = [
    ("utf-8", "Grüße aus Köln".encode(), None, "Grüße aus Köln"),
    ("latin-1", "Grüße aus Köln".encode("latin-1"), None, "Grüße aus Köln"),
    ("gbk with the body's charset as hint", "打印机故障".encode("gbk"), "gb2312", "打印机故障"),
    (
        "shift_jis in a mail declaring iso-2022-jp",
        "ツール".encode("cp932"),
        "iso-2022-jp",
        "ツール",
    ),
]


@pytest.mark.parametrize(
    ("raw", "body_charset", "expected"),
    [c[1:] for c in RAW_8BIT_SUBJECTS],
    ids=[c[0] for c in RAW_8BIT_SUBJECTS],
)
def test_raw_8bit_subject(raw: bytes, body_charset: str | None, expected: str) -> None:
    headers: list[str | bytes] = [b"Subject: " + raw]
    if body_charset:
        headers.append(f"Content-Type: text/plain; charset={body_charset}")
    mail = parse_mail(build(*headers, body=b"hello"))
    assert mail.subject == expected


# --- addresses, ids, date ---------------------------------------------------------------


def test_addresses_are_bare_and_lower_case() -> None:
    mail = parse_mail(
        build(
            'From: "Example, Bob" <Bob.Example@Customer.TEST>',
            "To: Support <Support@Example.com>, other@example.com",
            "Cc: =?utf-8?Q?J=C3=BCrgen?= <JUERGEN@x.test>, other@example.com",
            "Reply-To: <replies@customer.test>",
        )
    )
    assert mail.from_addr == "bob.example@customer.test"
    assert mail.from_name == "Example, Bob"
    assert mail.to == ("support@example.com", "other@example.com")
    assert mail.cc == ("juergen@x.test", "other@example.com")
    assert mail.reply_to == ("replies@customer.test",)


DISPLAY_NAMES = [
    ("encoded-word", "From: =?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <j@x.test>", "Jürgen Müller"),
    (
        "encoded-word with a comma",
        "From: =?iso-8859-1?Q?B=FCrling,=20Andreas?= <a@x.test>",
        "Bürling, Andreas",
    ),
    ("quoted", 'From: "Carol \\"CC\\" Customer" <a@x.test>', 'Carol "CC" Customer'),
    ("none", "From: a@x.test", ""),
    # Control characters in an encoded name: the name is one line, the address kept (issue 17).
    ("CR LF in an encoded name", "From: =?UTF-8?Q?Ivan=0D=0ABcc:_x?= <a@x.test>",
     "Ivan Bcc: x"),
    ("LF and NUL in an encoded name", "From: =?UTF-8?B?SXZhbgpUbzogeQBa?= <a@x.test>",
     "Ivan To: y Z"),
]


@pytest.mark.parametrize(
    ("header", "expected"), [c[1:] for c in DISPLAY_NAMES], ids=[c[0] for c in DISPLAY_NAMES]
)
def test_display_name(header: str, expected: str) -> None:
    mail = parse_mail(build(header))
    assert mail.from_name == expected
    assert mail.from_addr == ("a@x.test" if "a@x.test" in header else "j@x.test")


def test_raw_8bit_display_name() -> None:
    mail = parse_mail(build(b'From: "M\xfcller" <m@x.test>'))
    assert (mail.from_addr, mail.from_name) == ("m@x.test", "Müller")


def test_encoded_word_cannot_forge_an_address() -> None:
    # Decoding before address parsing would turn this into "attacker@evil.test".
    mail = parse_mail(build("From: =?utf-8?Q?attacker=40evil.test?= <carol@customer.test>"))
    assert mail.from_addr == "carol@customer.test"
    assert mail.from_name == "attacker@evil.test"


def test_missing_from_is_not_fatal() -> None:
    mail = parse_mail(build("Subject: no sender", defaults=False))
    assert (mail.from_addr, mail.from_name, mail.subject) == ("", "", "no sender")


def test_message_ids_without_brackets() -> None:
    mail = parse_mail(
        build(
            "Message-ID: <abc.123@customer.test>",
            "In-Reply-To: <n1@example.com> (Support's message of Monday)",
            "References: <r1@example.com>\r\n <r2@example.com>,<r3@example.com> junk"
            "\r\n\t<r1@example.com>",
        )
    )
    assert mail.message_id == "abc.123@customer.test"
    assert mail.in_reply_to == ("n1@example.com",)
    assert mail.references == ("r1@example.com", "r2@example.com", "r3@example.com")


def test_message_id_missing_or_bare() -> None:
    assert parse_mail(build("Message-ID:")).message_id is None
    assert parse_mail(build("Message-ID: bare@customer.test")).message_id == "bare@customer.test"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Date: Mon, 02 Nov 2026 09:00:00 +0100", datetime(2026, 11, 2, 8, 0, tzinfo=UTC)),
        ("Date: 2 Nov 2026 09:00 EST", datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
        ("Date: yesterday at noon", None),
    ],
)
def test_date_is_aware_utc(header: str, expected: datetime | None) -> None:
    date = parse_mail(build(header)).date
    assert date == expected
    if date is not None:
        assert date.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_headers_are_decoded_lower_case_and_top_first() -> None:
    mail = parse_mail(
        build(
            "Received: from b by c",
            "Received: from a by b",
            "X-Custom: =?utf-8?Q?caf=C3=A9?=",
            "X-Folded: one\r\n two",
        )
    )
    assert mail.headers["received"] == ("from b by c", "from a by b")
    assert mail.headers["x-custom"] == ("café",)
    assert mail.header("X-Folded") == "one two"
    assert all(name == name.lower() for name in mail.headers)


# --- bodies -----------------------------------------------------------------------------


def test_plain_text_body() -> None:
    mail = parse_mail(build(body="Hello,\n\nthe printer is offline.\n"))
    assert mail.full_text == "Hello,\n\nthe printer is offline."
    assert mail.text == mail.full_text
    assert mail.html is None


def test_html_only_mail_becomes_readable_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>Hello,</p>"
        "<p>the printer<br>is <b>offline</b> &amp; beeps.</p><script>evil()</script></body></html>"
    )
    mail = parse_mail(
        build("MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8", body=html)
    )
    assert mail.full_text == "Hello,\n\nthe printer\nis offline & beeps."
    assert mail.html == html
    assert "evil" not in mail.text
    # What the store keeps is sanitised here already (in the parse process, when there is one).
    assert mail.safe_html is not None and "<p>Hello,</p>" in mail.safe_html
    assert "script" not in mail.safe_html and "evil" not in mail.safe_html


def test_a_mail_without_html_has_nothing_to_sanitise() -> None:
    mail = parse_mail(build(body="plain\n"))
    assert mail.html is None and mail.safe_html is None


def test_alternative_prefers_the_plain_part() -> None:
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nplain words\n"
        "--b\nContent-Type: text/html; charset=utf-8\n\n<p>html words</p>\n--b--\n"
    )
    mail = parse_mail(
        build("MIME-Version: 1.0", 'Content-Type: multipart/alternative; boundary="b"', body=body)
    )
    assert mail.full_text == "plain words"
    assert mail.html == "<p>html words</p>"


def test_empty_plain_part_falls_back_to_html() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\n\n"
        "--b\nContent-Type: text/html\n\n<p>only here</p>\n--b--\n"
    )
    mail = parse_mail(build('Content-Type: multipart/alternative; boundary="b"', body=body))
    assert mail.full_text == "only here"


REPLIES = [
    (
        "english",
        "Thanks, it works now.\n\nOn Mon, Nov 2, 2026 at 9:00 AM Support "
        "<support@example.com> wrote:\n> Please restart the printer.\n> Regards",
        "Thanks, it works now.",
    ),
    (
        "german",
        "Danke, jetzt geht es.\n\nAm 02.11.2026 um 09:00 schrieb Support "
        "<support@example.com>:\n> Bitte starten Sie den Drucker neu.",
        "Danke, jetzt geht es.",
    ),
    (
        "french",
        "Merci, ça marche.\n\nLe lun. 2 nov. 2026 à 09:00, Support "
        "<support@example.com> a écrit :\n> Redémarrez l'imprimante.",
        "Merci, ça marche.",
    ),
    (
        "outlook",
        "Works now.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n"
        "To: Carol\nSubject: Printer\n\nPlease restart.",
        "Works now.",
    ),
    (
        "outlook german",
        "Geht wieder.\n\nVon: Support\nGesendet: Montag\nAn: Carol\n"
        "Betreff: Drucker\n\nBitte neu starten.",
        "Geht wieder.",
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in REPLIES], ids=[c[0] for c in REPLIES]
)
def test_reply_text_drops_the_quoted_history(body: str, expected: str) -> None:
    mail = parse_mail(build("Content-Type: text/plain; charset=utf-8", body=body))
    assert mail.text == expected
    assert mail.full_text == body.strip()


def test_reply_parsing_is_bounded_on_hostile_bodies() -> None:
    body = "a\n" + "\n" * 50_000 + " " * 100_000 + "b\n" + "Warning: " * 20_000
    started = time.process_time()
    mail = parse_mail(build(body=body))
    assert time.process_time() - started < 3.0
    assert mail.text


def test_cr_only_line_endings() -> None:
    raw = build("Subject: old\r Mac", body="line one\nline two\n", eol=b"\r")
    assert b"\n" not in raw
    mail = parse_mail(raw)
    assert mail.subject == "old Mac"
    assert mail.from_addr == "carol@customer.test"
    assert mail.full_text == "line one\nline two"


def test_undecodable_body_bytes_are_replaced_not_fatal() -> None:
    mail = parse_mail(
        build("Content-Type: text/plain; charset=utf-8", body=b"caf\xe9 \xff\xfe ok\x00\x07")
    )
    assert_clean(mail.full_text)
    assert mail.full_text.startswith("caf") and mail.full_text.endswith("ok")
    assert "\x00" not in mail.full_text


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        ("gb2312", "喆的打印机坏了".encode("gbk"), "喆的打印机坏了"),
        ("iso-8859-1", "Grüße".encode("cp1252") + b" \x80", "Grüße €"),
        ("x-no-such-charset", "Grüße".encode(), "Grüße"),
        ("utf-7", b"+2ADYAA-", "+2ADYAA-"),  # Python's utf-7 decodes this to lone surrogates
        ("base64", b"aGVsbG8=", "aGVsbG8="),  # not a text encoding
    ],
)
def test_body_charsets(charset: str, body: bytes, expected: str) -> None:
    mail = parse_mail(build(f"Content-Type: text/plain; charset={charset}", body=body))
    assert mail.full_text == expected
    assert_clean(mail.full_text)


def test_punycode_charset_is_refused_quickly() -> None:
    # Python's punycode decoder is quadratic: this subject alone would take ~10 s, and
    # mail-parser decodes every header with the charset the sender names.
    payload = "a-" + "9" * 150_000
    started = time.process_time()
    mail = parse_mail(
        build(
            f"Subject: =?punycode?Q?{payload}?=",
            "Content-Type: text/plain; charset=punycode",
            body=payload,
        )
    )
    assert time.process_time() - started < 2.0
    assert mail.subject == mail.full_text == payload
    assert any("punycode" in defect for defect in mail.defects)


# --- attachments ------------------------------------------------------------------------


def multipart_with(*parts: str) -> bytes:
    body = "--b\nContent-Type: text/plain\n\nsee attached\n"
    for part in parts:
        body += "--b\n" + part
    body += "--b--\n"
    return build("MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b"', body=body)


def attachment(
    filename_params: str,
    data: bytes = b"\x00\x01binary\xff",
    content_type: str = "application/octet-stream",
) -> str:
    encoded = base64.b64encode(data).decode()
    return (
        f"Content-Type: {content_type}\nContent-Disposition: attachment{filename_params}\n"
        f"Content-Transfer-Encoding: base64\n\n{encoded}\n"
    )


FILENAMES = [
    ("plain", '; filename="report.pdf"', "report.pdf"),
    ("posix traversal", '; filename="../../etc/passwd"', "passwd"),
    ("windows traversal", '; filename="..\\\\..\\\\Windows\\\\evil.dll"', "evil.dll"),
    ("only dots", '; filename=".."', "attachment-1"),
    ("hidden file", '; filename=".bashrc"', "bashrc"),
    ("nul and newline", "; filename*=utf-8''a%00b%0D%0Ac.txt", "abc.txt"),
    ("bidi override", "; filename*=utf-8''invoice%E2%80%AEfdp.exe", "invoicefdp.exe"),
    ("encoded-word", '; filename="=?utf-8?Q?Rechnung_M=C3=A4rz.pdf?="', "Rechnung März.pdf"),
    ("rfc 2231", "; filename*=iso-8859-1''Gr%FC%DFe.txt", "Grüße.txt"),
    ("windows-reserved characters", '; filename="a:b*c?.txt"', "a_b_c_.txt"),
    ("no name", "", "attachment-1"),
]


@pytest.mark.parametrize(
    ("params", "expected"), [c[1:] for c in FILENAMES], ids=[c[0] for c in FILENAMES]
)
def test_attachment_filename_is_a_safe_basename(params: str, expected: str) -> None:
    mail = parse_mail(multipart_with(attachment(params)))
    assert [a.filename for a in mail.attachments] == [expected]


def test_long_filename_is_cut_keeping_the_extension() -> None:
    name = "x" * 500 + ".pdf"
    (item,) = parse_mail(multipart_with(attachment(f'; filename="{name}"'))).attachments
    assert len(item.filename) == 200
    assert item.filename.endswith("x.pdf")


def test_attachment_content_and_hash() -> None:
    data = bytes(range(256)) * 10
    mail = parse_mail(
        multipart_with(
            attachment('; filename="a.bin"', data),
            attachment('; filename="b.png"', b"\x89PNG", "image/png"),
        )
    )
    first, second = mail.attachments
    assert (first.data, first.size, first.sha256) == (data, 2560, hashlib.sha256(data).hexdigest())
    assert (second.filename, second.content_type, second.data) == ("b.png", "image/png", b"\x89PNG")
    assert second.content_type == "image/png"
    assert mail.full_text == "see attached"


def test_nameless_attachments_are_numbered() -> None:
    mail = parse_mail(
        multipart_with(attachment(""), attachment('; filename="x.txt"'), attachment(""))
    )
    assert [a.filename for a in mail.attachments] == ["attachment-1", "x.txt", "attachment-3"]


# --- bounces: what the original was -----------------------------------------------------


def dsn(original_part: str) -> bytes:
    body = (
        "--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
        "Final-Recipient: rfc822; gone@customer.test\nAction: failed\nStatus: 5.1.1\n\n"
        "--b\n" + original_part + "--b--\n"
    )
    return build(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        "Subject: Undelivered Mail Returned to Sender",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        body=body,
    )


ORIGINAL_HEADERS = (
    "Message-ID: <notice-7@tickets.example.com>\n"
    "Subject: =?utf-8?Q?[#AB12]_Ihre_Anfrage_=C3=BCber?=\n\n"
)


@pytest.mark.parametrize(
    "part",
    [
        "Content-Type: message/rfc822\n\n" + ORIGINAL_HEADERS + "original body\n",
        "Content-Type: text/rfc822-headers\n\n" + ORIGINAL_HEADERS,
        "Content-Type: text/plain\n\n" + ORIGINAL_HEADERS,
    ],
    ids=["message/rfc822", "text/rfc822-headers", "text neighbour of delivery-status"],
)
def test_bounce_names_the_original(part: str) -> None:
    mail = parse_mail(dsn(part))
    assert mail.embedded_message_ids == ("notice-7@tickets.example.com",)
    assert mail.embedded_subjects == ("[#AB12] Ihre Anfrage über",)


@pytest.mark.parametrize("label", ["Message-ID", "message-id", "MESSAGE-Id", "Message-iD",
                                   "Message-\u0130D", "message-\u0131d"])
def test_original_quoted_in_a_bounce_text_is_found_in_any_case(label: str) -> None:
    body = (f"--- Below this line is a copy of the message.\n\n> {label}: "
            "<notice-9@tickets.example.com>\n> Subject: [#AB12] Your request\n")
    mail = parse_mail(build("From: MAILER-DAEMON@mx.test", "Subject: failure notice", body=body))
    assert mail.embedded_message_ids == ("notice-9@tickets.example.com",)


def test_a_text_without_quoted_headers_names_no_original() -> None:
    body = "Your id: 42. The order-ID is on the invoice; see https://shop.test/?id=7\n"
    mail = parse_mail(build("From: anna@customer.test", "Subject: order", body=body))
    assert mail.embedded_message_ids == ()


def test_original_quoted_in_the_text_of_a_bounce() -> None:
    body = (
        "Hi. This is the qmail-send program.\n\n--- Below this line is a copy of the message.\n\n"
        "Return-Path: <support@example.com>\nMessage-ID: <notice-9@tickets.example.com>\n"
        "Subject: [#AB12] Your request\n\nbody\n"
    )
    mail = parse_mail(build("From: MAILER-DAEMON@mx.test", "Subject: failure notice", body=body))
    assert mail.embedded_message_ids == ("notice-9@tickets.example.com",)
    assert mail.embedded_subjects == ("[#AB12] Your request",)


# --- what is refused --------------------------------------------------------------------


def nested_multiparts(depth: int) -> bytes:
    lines = ["From: a@x.test", "Subject: deep", 'Content-Type: multipart/mixed; boundary="b0"', ""]
    for level in range(1, depth):
        lines += [f"--b{level - 1}", f'Content-Type: multipart/mixed; boundary="b{level}"', ""]
    lines += [f"--b{depth - 1}", "Content-Type: text/plain", "", "leaf"]
    lines += [f"--b{level}--" for level in reversed(range(depth))]
    return "\r\n".join(lines).encode() + b"\r\n"


def nested_messages(depth: int) -> bytes:
    head = "From: a@x.test\r\nSubject: deep\r\nContent-Type: message/rfc822\r\n\r\n"
    return (head * depth + "From: b@x.test\r\n\r\nleaf\r\n").encode()


def test_thousand_nested_multiparts_are_refused_quickly() -> None:
    started = time.process_time()
    with pytest.raises(UnparseableMail, match="nested deeper than 50"):
        parse_mail(nested_multiparts(1000))
    assert time.process_time() - started < 1.0


def test_deeply_nested_messages_are_refused() -> None:
    with pytest.raises(UnparseableMail, match="nested deeper than 50"):
        parse_mail(nested_messages(200))


def test_moderate_nesting_is_fine() -> None:
    assert parse_mail(nested_multiparts(45)).full_text == "leaf"


def test_many_sibling_parts_are_not_nesting() -> None:
    parts = "".join(
        f'--b\nContent-Type: multipart/alternative; boundary="c{i}"\n\n'
        f"--c{i}\nContent-Type: text/plain\n\npart {i}\n--c{i}--\n"
        for i in range(80)
    )
    mail = parse_mail(build('Content-Type: multipart/mixed; boundary="b"', body=parts + "--b--\n"))
    assert "part 79" in mail.full_text


OUTLOOK_MSG = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"Subject: x\r\n\r\n"

REFUSED = [
    ("outlook .msg", OUTLOOK_MSG, "Outlook .msg"),
    ("empty", b"", "empty"),
    ("whitespace", b" \r\n\r\n", "empty"),
    ("no header section", b"Hello,\n\nthis is just some text.\n", "no header section"),
    ("pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n", "no header section"),
    ("headers that are not mail", b"Name: value\nOther: thing\n\nbody\n", "no mail headers"),
]


@pytest.mark.parametrize(("raw", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_not_a_mail_is_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(UnparseableMail, match=reason):
        parse_mail(raw)


def test_oversized_mail_is_refused() -> None:
    raw = build(body="x" * 2000)
    with pytest.raises(UnparseableMail, match="over the limit of 1000"):
        parse_mail(raw, max_bytes=1000)
    assert parse_mail(raw, max_bytes=len(raw)).full_text == "x" * 2000


def test_library_failure_becomes_unparseable(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(mailparser.MailParser, "parse", explode)
    with pytest.raises(UnparseableMail, match="RuntimeError: boom"):
        parse_mail(build())


def test_defects_are_strings() -> None:
    mail = parse_mail(
        build('Content-Type: multipart/mixed; boundary="never"', body="no parts here\n")
    )
    assert mail.defects
    assert all(isinstance(defect, str) for defect in mail.defects)
