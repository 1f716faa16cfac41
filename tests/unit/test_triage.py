"""A quarantined mail keeps its sender, subject and Message-ID as far as they can be read,
whatever its bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from inbox_worker.mail.admission import parse_fetched
from inbox_worker.mail.triage import Triage, triage


def test_what_an_admin_triages_by() -> None:
    raw = (b"From: =?UTF-8?Q?Ivan=0D=0ABcc:_x?= <Ivan@Example.com>\r\n"
           b"Subject: =?UTF-8?Q?Caf=C3=A9=0Aorder?=\r\nMessage-ID: <q-77@shop.test>\r\n\r\nhi")
    assert triage(raw) == Triage("ivan@example.com", "Café order", "q-77@shop.test")


def test_a_from_without_an_address_keeps_its_text() -> None:
    raw = b"From: \x00Bad <\r\nSubject: x\r\n\r\n"
    assert triage(raw).sender == "Bad <" and triage(raw).subject == "x"


def test_no_headers_at_all() -> None:
    assert triage(b"\xff\xfe just bytes") == Triage()


@given(st.binary(max_size=2000))
def test_never_raises_and_stays_one_line(raw: bytes) -> None:
    seen = triage(raw)
    for value in (seen.sender, seen.subject, seen.message_id):
        assert "\n" not in value and "\r" not in value


def test_control_characters_in_a_name_do_not_quarantine() -> None:
    raw = (b"From: =?UTF-8?Q?Ivan=0D=0ABcc:_x?= <ivan@example.com>\r\nTo: support@example.com"
           b"\r\nSubject: Hello\r\nMessage-ID: <i1@example.com>\r\n\r\nMy printer.\r\n")
    mail, refusal = parse_fetched(raw, None, 10**6)
    assert refusal is None and mail is not None
    assert (mail.from_addr, mail.from_name) == ("ivan@example.com", "Ivan Bcc: x")
