"""Attachments as real clients send them (issue 17): Outlook's winmail.dat becomes its files,
a forwarded mail stays one .eml readable in `tickets show`, an invitation is summarised in
the text, a signed mail keeps its text, files and signature, inline images stay attached.
Hostile variants of each give a mail (a ticket) with the original part kept, never an error.

The mails are built in `client_mails` the way each client writes them; real ones are read
from the shared corpus in place (/work/shared/corpus, see test_corpus_parse).
"""

from __future__ import annotations

import hashlib
import struct
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_worker.app import build_app, fixed_clock
from inbox_worker.cli_tickets import print_detail
from inbox_worker.config import DatabaseSettings, Settings, SupportSettings, TechnicianSettings
from inbox_worker.domain.model import InboundMail
from inbox_worker.mail.admission import parse_fetched
from inbox_worker.mail.calendar import MAX_CALENDAR_BYTES, invitation_summary
from inbox_worker.mail.forwarded import forwarded_view
from inbox_worker.mail.inbound import parse_mail
from inbox_worker.mail.source import FetchedMail
from inbox_worker.mail.tnef import tnef_files
from inbox_worker.service import views
from inbox_worker.store.models import AttachmentRow, Message, Ticket
from tests.unit.client_mails import (
    ONLY_A_FILE,
    OUTLOOK_IMAGE,
    PGP_SIGNATURE,
    PNG,
    SMIME_SIGNATURE,
    crlf,
    forwarded,
    gmail_forward,
    google_invite,
    outlook_forward,
    outlook_ics,
    outlook_inline_image,
    outlook_invite,
    outlook_tnef,
    pgp_signed,
    smime_signed,
    thunderbird_forward,
    tnef_attribute,
    tnef_blob,
)

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


def files(mail: InboundMail) -> list[tuple[str, str]]:
    return [(a.filename, a.content_type) for a in mail.attachments]


def corpus(name: str) -> bytes:
    path = CORPUS / name
    assert path.is_file(), f"corpus file missing: {path}"
    return path.read_bytes()


# --- Outlook's winmail.dat -----------------------------------------------------------


def test_winmail_dat_becomes_the_files_inside_it() -> None:
    blob = tnef_blob([(b"REPORT~1.PDF", PDF), (b"photo.jpg", JPEG)],
                     long_names=["Quarterly report 2026.pdf", "photo.jpg"])
    mail = parse_mail(outlook_tnef(blob))
    assert files(mail) == [("Quarterly report 2026.pdf", "application/pdf"),
                           ("photo.jpg", "image/jpeg")]
    assert [a.data for a in mail.attachments] == [PDF, JPEG]
    assert mail.attachments[0].sha256 == hashlib.sha256(PDF).hexdigest()
    assert mail.text == "Please find the invoice attached."


def test_winmail_dat_short_names_in_the_senders_codepage() -> None:
    # attAttachTitle is written in the blob's codepage (1252 here), not UTF-8.
    mail = parse_mail(outlook_tnef(tnef_blob([(b"M\xe4rz.txt", b"numbers")])))
    assert files(mail) == [("März.txt", "text/plain")]


def test_winmail_dat_sent_as_octet_stream_is_unpacked_too() -> None:
    raw = outlook_tnef(tnef_blob([(b"a.pdf", PDF)]), content_type="application/octet-stream")
    assert files(parse_mail(raw)) == [("a.pdf", "application/pdf")]


def test_winmail_dat_names_are_safe_basenames() -> None:
    blob = tnef_blob([(b"x.bin", PDF)], long_names=["..\\..\\Windows\\evil\u202egnp.exe"])
    assert files(parse_mail(outlook_tnef(blob))) == [("evilgnp.exe", "application/octet-stream")]


GOOD_BLOB = tnef_blob([(b"report.pdf", PDF)])
HOSTILE_BLOBS = {
    "truncated": GOOD_BLOB[: len(GOOD_BLOB) - 5],
    "cut in its header": GOOD_BLOB[:40],
    "no files": tnef_blob([]),
    "not TNEF at all": b"Fixture\n",
    "property count of 2**32": GOOD_BLOB
    + tnef_attribute(1, 0x9003, 0x0006, struct.pack("<I", 0xFFFFFFFF)),
    "multi-value count of 2**32": GOOD_BLOB
    + tnef_attribute(1, 0x9003, 0x0006, struct.pack("<IHHI", 1, 0x1002, 0x0001, 0xFFFFFFFF)),
    "200,000 tiny attributes": GOOD_BLOB
    + b"".join(tnef_attribute(1, 0x8004, 0x0001, b"x") for _ in range(200_000)),
    "an attachment attribute before any attachment": tnef_blob([])
    + tnef_attribute(2, 0x8010, 0x0001, b"a.txt\0"),
}


@pytest.mark.parametrize("blob", HOSTILE_BLOBS.values(), ids=HOSTILE_BLOBS.keys())
def test_hostile_winmail_dat_is_kept_as_it_came(blob: bytes) -> None:
    started = time.process_time()
    mail = parse_mail(outlook_tnef(blob))
    # tnefparse alone loops for ever on the counts and takes seconds on the attributes.
    assert time.process_time() - started < 2.0
    assert files(mail) == [("winmail.dat", "application/ms-tnef")]
    assert mail.attachments[0].data == blob
    assert mail.text == "Please find the invoice attached."


EMBEDDED_SIGNATURE = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"


def embedded_item(blob: bytes) -> bytes:
    """attAttachment holding PR_ATTACH_DATA_OBJ: an Outlook item (a mail) inside the blob."""
    value = EMBEDDED_SIGNATURE + blob
    item = struct.pack("<IHHII", 1, 0x000D, 0x3701, 1, len(value))
    return tnef_attribute(2, 0x9005, 0x0006, item + value + b"\0" * (-len(value) % 4))


def test_winmail_dat_with_an_embedded_item_keeps_the_blob_beside_its_files() -> None:
    blob = tnef_blob([(b"report.pdf", PDF), (b"mail.msg", b"")])
    blob += embedded_item(tnef_blob([(b"inner.txt", b"inside")]))
    assert files(parse_mail(outlook_tnef(blob))) == [
        ("report.pdf", "application/pdf"), ("winmail.dat", "application/ms-tnef")]


def test_tnef_files_refuses_deep_embedding() -> None:
    blob = tnef_blob([(b"inner.txt", b"innermost")])
    for _ in range(5):
        blob = tnef_blob([(b"a.txt", b"abc")]) + embedded_item(blob)
    assert tnef_files(blob) is None


def test_corpus_winmail_dat_without_files_and_one_that_is_no_tnef_are_kept() -> None:
    # A bounce whose winmail.dat holds only message properties, and a mail that is only a
    # "winmail.dat" with the word "Fixture" in it.
    bounce = parse_mail(corpus("sisimai-set-of-emails/lhost-amazonworkmail-01.eml"))
    assert ("winmail.dat", "application/ms-tnef") in files(bounce)
    fixture = parse_mail(corpus("redmine/no_subject_header.eml"))
    assert files(fixture) == [("winmail.dat", "application/ms-tnef")]
    assert fixture.attachments[0].data == b"Fixture\n"


# --- a mail forwarded as an attachment -------------------------------------------------

FORWARDS = {
    "Thunderbird": (thunderbird_forward, "Can you look at this? See the forwarded mail."),
    "Outlook": (outlook_forward, "See below."),
    "Gmail": (gmail_forward, "Forwarding this one."),
}


@pytest.mark.parametrize(("build", "own_text"), FORWARDS.values(), ids=FORWARDS.keys())
def test_forwarded_mail_is_one_attachment_named_by_its_subject(
    build: Callable[[], bytes], own_text: str
) -> None:
    mail = parse_mail(build())
    # Its text is not the customer's, and its own files stay inside it.
    assert mail.text == mail.full_text == own_text
    assert files(mail) == [("Printer on floor 3 broken.eml", "message/rfc822")]
    inner = parse_mail(mail.attachments[0].data)
    assert inner.subject == "Printer on floor 3 broken"
    assert inner.from_addr == "bob@shop.example"
    assert inner.text == "The printer on floor 3 shows error E-42 since this morning."
    assert files(inner) == [("error.png", "image/png")]


def test_forwarded_mail_encoded_in_base64_is_decoded() -> None:
    # RFC 2046 forbids it for message/rfc822; some gateways send it all the same.
    mail = parse_mail(outlook_forward(encoding="base64"))
    assert files(mail) == [("Printer on floor 3 broken.eml", "message/rfc822")]
    assert parse_mail(mail.attachments[0].data).subject == "Printer on floor 3 broken"


FORWARDED_NAMES = {
    "no subject": ("", "forwarded-message.eml"),
    "only dots": ("...", "forwarded-message.eml"),
    "slashes": ("../../etc/passwd", "_.._etc_passwd.eml"),
    "control and bidi characters": ("Invoice\x1b[31m \u202eexe.pdf", "Invoice [31m exe.pdf.eml"),
    "encoded line break": ("=?utf-8?q?Hello=0D=0ABcc:_x@evil.example?=",
                           "Hello Bcc_ x@evil.example.eml"),
    "windows-reserved": ('a<b>c:"d"|e?*', "a_b_c__d__e__.eml"),
}


@pytest.mark.parametrize(("subject", "name"), FORWARDED_NAMES.values(),
                         ids=FORWARDED_NAMES.keys())
def test_forwarded_mail_name_is_safe(subject: str, name: str) -> None:
    mail = parse_mail(outlook_forward(forwarded(subject)))
    assert files(mail) == [(name, "message/rfc822")]


def test_forwarded_mail_with_a_long_subject_keeps_its_extension() -> None:
    (file,) = parse_mail(outlook_forward(forwarded("word " * 100))).attachments
    assert len(file.filename) == 200 and file.filename.endswith(" w.eml")


def test_forwarded_view_reads_from_date_subject_and_text() -> None:
    data = parse_mail(thunderbird_forward()).attachments[0].data
    assert forwarded_view(data) == {
        "from": "Bob Meier <bob@shop.example>",
        "date": "Mon, 07 Dec 2026 16:20:00 +0100",
        "subject": "Printer on floor 3 broken",
        "text": "The printer on floor 3 shows error E-42 since this morning.",
    }
    assert forwarded_view(b"") is None
    assert forwarded_view(b"no mail at all") is None


def test_corpus_forwarded_mails() -> None:
    # Two mails forwarded by Outlook, the text of neither in the ticket's text.
    mail = parse_mail(corpus("zammad/mail014.box"))
    assert [name for name, _ in files(mail)] == [
        "Neue Anfrage erstellt - 33284.eml", "Call_ HW-Anforderung; Best-nr.47524152.eml"]
    assert "Logitech" not in mail.full_text
    # A raw 8-bit GB2312 subject, decoded with the charset the forwarded mail declares.
    assert files(parse_mail(corpus("zammad/mail046.box")))[0][0] == "转发：整体提升企业服务水平.eml"
    # The image inside a forwarded spam stays inside it.
    spam = parse_mail(corpus("zammad/mail069.box"))
    assert [content_type for _, content_type in files(spam)] == ["message/rfc822"]
    groupwise = parse_mail(corpus("cpython/msg_46.txt"))
    assert files(groupwise) == [("GroupwiseForwardingTest.eml", "message/rfc822")]
    assert "Testing email forwarding" in forwarded_view(groupwise.attachments[0].data)["text"]


# --- calendar invitations --------------------------------------------------------------


OUTLOOK_SUMMARY = "When: 2026-12-08 10:00-11:00 (Europe/Berlin)\nWhere: Room 2"
INVITATIONS = {
    "Outlook": (outlook_invite(), "Agenda: printers.\n\n[Invitation] Team meeting\n"
                + OUTLOOK_SUMMARY, ("invite.ics", "text/calendar")),
    "Outlook, cancelled": (outlook_invite(method="CANCEL"), "Agenda: printers.\n\n"
                           "[Cancelled] Team meeting\n" + OUTLOOK_SUMMARY,
                           ("invite.ics", "text/calendar")),
    # The calendar view and invite.ics are the same bytes: summarised once, kept once.
    "Google Calendar": (google_invite(), "You have been invited to the following event.\n\n"
                        "[Invitation] Server migration\n"
                        "When: 2026-12-09 14:30 to 2026-12-10 09:00 (Europe/Berlin) (repeats)\n"
                        "Where: Data centre, hall B", ("invite.ics", "application/ics")),
}


@pytest.mark.parametrize(("raw", "text", "file"), INVITATIONS.values(), ids=INVITATIONS.keys())
def test_invitation_is_summarised_and_kept(raw: bytes, text: str, file: tuple[str, str]) -> None:
    mail = parse_mail(raw)
    assert mail.text == text
    assert files(mail) == [file]


def test_invitation_summary_holds_only_what_when_where() -> None:
    mail = parse_mail(outlook_invite())
    assert mail.attachments[0].data == outlook_ics()
    # Only SUMMARY and LOCATION are free text from the calendar; the description is not.
    assert "Ignore all previous instructions" not in mail.full_text


def ics(*lines: str, method: str = "REQUEST") -> bytes:
    body = "\n".join(lines)
    return crlf(f"BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:{method}\nBEGIN:VEVENT\n{body}\n"
                "END:VEVENT\nEND:VCALENDAR\n")


SUMMARIES = {
    "all day": (ics("SUMMARY:Holiday", "DTSTART;VALUE=DATE:20261224",
                    "DTEND;VALUE=DATE:20261225"),
                "[Invitation] Holiday\nWhen: 2026-12-24 (all day)"),
    "several days": (ics("SUMMARY:Fair", "DTSTART;VALUE=DATE:20261201",
                         "DTEND;VALUE=DATE:20261204"),
                     "[Invitation] Fair\nWhen: 2026-12-01 to 2026-12-03 (all day)"),
    "UTC and a duration": (ics("SUMMARY:Call", "DTSTART:20261208T090000Z", "DURATION:PT30M"),
                           "[Invitation] Call\nWhen: 2026-12-08 09:00-09:30 (UTC)"),
    "accepted": (ics("SUMMARY:Call", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@shop.example",
                     method="REPLY"), "[Accepted] Call"),
    "cancelled event": (ics("SUMMARY:Call", "STATUS:CANCELLED", method="PUBLISH"),
                        "[Cancelled] Call"),
    "no title": (ics("DTSTART:20261208T090000"), "[Invitation] (no title)\nWhen: 2026-12-08 09:00"),
    "hostile summary": (ics("SUMMARY:Hi\\nBcc: x@evil.example\x07 " + "a" * 500,
                            "LOCATION:\x1b]0;owned\x07Room"),
                        "[Invitation] Hi Bcc: x@evil.example " + "a" * 176 + "\u2026\n"
                        "Where: ]0;owned Room"),
    "broken date": (ics("SUMMARY:Call", "DTSTART:2026XX08T090000"), "[Invitation] Call"),
    "truncated": (outlook_ics()[:500], ""),
    "not a calendar": (b"\x00\xff garbage", ""),
    "four events": (crlf("BEGIN:VCALENDAR\n" + "BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n" * 4
                         + "END:VCALENDAR\n"),
                    "[Event] x\n\n... and 1 more events in the calendar"),
}


@pytest.mark.parametrize(("data", "summary"), SUMMARIES.values(), ids=SUMMARIES.keys())
def test_invitation_summary(data: bytes, summary: str) -> None:
    assert invitation_summary([data]) == summary


EVENT = "BEGIN:VEVENT\nSUMMARY:x\nDTSTART:20261208T090000Z\nEND:VEVENT\n"
UNREAD = {
    "broken": outlook_ics()[:500],
    "huge": crlf(f"BEGIN:VCALENDAR\n{EVENT * (MAX_CALENDAR_BYTES // len(EVENT))}END:VCALENDAR"),
}


@pytest.mark.parametrize("calendar", UNREAD.values(), ids=UNREAD.keys())
def test_calendar_not_read_is_kept_without_summary(calendar: bytes) -> None:
    started = time.process_time()
    mail = parse_mail(outlook_invite(calendar))
    assert time.process_time() - started < 2.0  # icalendar takes ~1 s per 1.5 MB
    assert mail.text == "Agenda: printers."
    assert [a.data for a in mail.attachments] == [calendar]


def test_invitation_alone_is_the_text() -> None:
    raw = crlf("From: anna@customer.example\nSubject: Call\nMIME-Version: 1.0\n"
               "Content-Type: text/calendar; method=REQUEST; charset=utf-8\n\n"
               ) + ics("SUMMARY:Call", "DTSTART:20261208T090000Z")
    mail = parse_mail(raw)
    assert mail.text == "[Invitation] Call\nWhen: 2026-12-08 09:00 (UTC)"
    assert files(mail) == [("invite.ics", "text/calendar")]


# --- signed mails ----------------------------------------------------------------------

NAMELESS_SMIME = "Content-Type: application/pkcs7-signature\nContent-Transfer-Encoding: base64\n"
NAMELESS_PGP = "Content-Type: application/pgp-signature\n"
SIGNED = {
    "S/MIME": (smime_signed, SMIME_SIGNATURE, ("smime.p7s", "application/pkcs7-signature")),
    "S/MIME, nameless signature": (
        smime_signed, NAMELESS_SMIME, ("smime.p7s", "application/pkcs7-signature")),
    "Outlook's x-pkcs7": (smime_signed, NAMELESS_SMIME.replace("/pkcs7", "/x-pkcs7"),
                          ("smime.p7s", "application/x-pkcs7-signature")),
    "PGP/MIME": (pgp_signed, PGP_SIGNATURE, ("signature.asc", "application/pgp-signature")),
    "PGP/MIME, nameless signature": (
        pgp_signed, NAMELESS_PGP, ("signature.asc", "application/pgp-signature")),
}


@pytest.mark.parametrize(("build", "headers", "signature"), SIGNED.values(), ids=SIGNED.keys())
def test_signed_mail_keeps_text_files_and_signature(
    build: Callable[[str], bytes], headers: str, signature: tuple[str, str]
) -> None:
    mail = parse_mail(build(headers))
    assert mail.text == "Here is the signed contract."
    assert files(mail) == [("contract.pdf", "application/pdf"), signature]
    assert mail.attachments[1].size > 0


@pytest.mark.parametrize("headers", [NAMELESS_SMIME, SMIME_SIGNATURE])
def test_signature_over_a_file_alone_is_no_text(headers: str) -> None:
    mail = parse_mail(smime_signed(headers, body=ONLY_A_FILE))
    assert mail.text == ""
    assert files(mail) == [("contract.pdf", "application/pdf"),
                           ("smime.p7s", "application/pkcs7-signature")]


def test_empty_signature_part_is_kept() -> None:
    raw = pgp_signed(NAMELESS_PGP)
    start = raw.index(b"-----BEGIN PGP SIGNATURE")
    mail = parse_mail(raw[:start] + raw[raw.index(b"--pgp-sig-0123--", start):])
    assert mail.text == "Here is the signed contract."
    assert files(mail)[-1] == ("signature.asc", "application/pgp-signature")


def test_corpus_signed_mails() -> None:
    pgp = parse_mail(corpus("zammad/mail039.box"))
    assert pgp.text.startswith("test 1234 äöü sig test with attachment")
    assert files(pgp) == [("HKT_Super_Seven_GTS.jpeg", "image/jpeg"),
                          ("signature.asc", "application/pgp-signature")]
    smime = parse_mail(corpus("zammad/mail040.box"))
    assert smime.text.startswith("smime signed 123 öäüß")
    assert files(smime) == [("smime.p7s", "application/pkcs7-signature")]


# --- inline images (cid:) --------------------------------------------------------------

INLINE = {
    "Outlook": (OUTLOOK_IMAGE, "image001.png"),
    "only a Content-ID": ("Content-Type: image/png\nContent-ID: <image001.png@01DA0000>\n",
                          "attachment-1"),
    "neither name nor Content-ID": ("Content-Type: image/png\nContent-Location: image001.png\n",
                                    "attachment-1"),
}


@pytest.mark.parametrize(("headers", "name"), INLINE.values(), ids=INLINE.keys())
def test_inline_image_stays_attached(headers: str, name: str) -> None:
    mail = parse_mail(outlook_inline_image(headers))
    assert files(mail) == [(name, "image/png")]
    assert mail.attachments[0].data == PNG
    assert 'src="cid:image001.png@01DA0000.12345670"' in (mail.html or "")
    assert mail.text.startswith("See the screenshot:")


def test_corpus_inline_images() -> None:
    assert files(parse_mail(corpus("zammad/mail051.box"))) == [("super-seven.jpg", "image/jpg")]
    # Two inline videos without a name were read as text and lost before.
    videos = [name for name, kind in files(parse_mail(corpus("zammad/mail062.box")))
              if kind == "video/quicktime"]
    assert videos == ["Video1.MOV", "Video2.MOV", "Video3.MOV", "attachment-6", "attachment-7"]


# --- every case, hostile ones too, ends as a ticket with its files ---------------------

EVERY_CASE = {
    "winmail.dat": outlook_tnef(tnef_blob([(b"report.pdf", PDF)])),
    **{f"winmail.dat {name}": outlook_tnef(blob) for name, blob in HOSTILE_BLOBS.items()},
    "forwarded": thunderbird_forward(),
    "forwarded, no subject": outlook_forward(forwarded("")),
    "forwarded, empty": outlook_forward(""),
    "invitation": outlook_invite(),
    "invitation, broken": outlook_invite(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"),
    "S/MIME": smime_signed(),
    "PGP, nameless signature over a file": pgp_signed(NAMELESS_PGP, body=ONLY_A_FILE),
    "inline image": outlook_inline_image(),
    "calendar in base64 garbage": outlook_invite().replace(b"method=REQUEST\r\nContent-Transfer-"
                                                           b"Encoding: base64",
                                                           b"method=REQUEST"),
}


@pytest.mark.parametrize("raw", EVERY_CASE.values(), ids=EVERY_CASE.keys())
def test_every_case_is_a_mail_for_a_ticket(raw: bytes) -> None:
    mail, refusal = parse_fetched(raw, None, 25 * 1024 * 1024)
    assert refusal is None and mail is not None
    assert all(a.size == len(a.data) and "/" not in a.filename for a in mail.attachments)


def settings(directory: str) -> Settings:
    return Settings(
        support=SupportSettings(address="support@example.org", name="Example Support",
                                token_prefix="IW", message_id_domain="example.org"),
        database=DatabaseSettings(url=f"sqlite:///{directory}/t.db"),
        technicians=TechnicianSettings(addresses=frozenset({"tech@example.org"})),
        templates_dir=REPO / "templates",
    )


def test_tickets_show_prints_the_forwarded_mail_below_its_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    inner = forwarded("Printer \x1b[2J broken").replace(
        "since this morning.", "since this morning.\x1b]0;owned\x07 \u202eexe.pdf")
    with tempfile.TemporaryDirectory() as directory:
        app = build_app(settings(directory), clock=fixed_clock(NOW))
        try:
            result = app.ingestor.process(
                FetchedMail(key="k1", raw=thunderbird_forward(inner)), NOW)
            assert result.outcome == "created"
            with app.sessions() as session:
                ticket = session.scalars(select(Ticket)).one()
                stored = session.scalars(select(AttachmentRow)).one()
                assert stored.content_type == "message/rfc822"
                detail = views.ticket_detail_json(session, ticket, None)
                message = session.scalars(select(Message).where(Message.direction == "in")).one()
                assert message.text == "Can you look at this? See the forwarded mail."
        finally:
            app.close()
    (file,) = detail["messages"][0]["attachments"]
    assert file["forwarded"]["subject"] == "Printer [2J broken"
    print_detail(detail)
    shown = capsys.readouterr().out
    assert not any(ch in shown for ch in "\x1b\x07\u202e")
    assert (
        "Can you look at this? See the forwarded mail.\n"
        "[attachment] Printer [2J broken.eml (message/rfc822, "
    ) in shown
    assert (
        "    From: Bob Meier <bob@shop.example>\n"
        "    Date: Mon, 07 Dec 2026 16:20:00 +0100\n"
        "    Subject: Printer [2J broken\n"
        "\n"
        "    The printer on floor 3 shows error E-42 since this morning.]0;owned \\u202eexe.pdf\n"
    ) in shown


def test_other_files_show_no_forwarded_mail() -> None:
    row = AttachmentRow(filename="a.eml", content_type="application/pdf", size=3, sha256="0",
                        data=b"From: x@y\r\nSubject: no\r\n\r\nhi")
    assert views.attachment_json(row)["forwarded"] is None
    row.content_type = "message/rfc822"
    assert views.attachment_json(row)["forwarded"]["subject"] == "no"
    row.data = b"\x00"
    assert views.attachment_json(row)["forwarded"] is None
