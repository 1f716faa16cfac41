"""Property tests on hostile input: parsing, the whole ingest path, token finding.

Mail from the outside is hostile (PRODUCT.md section 8): whatever bytes arrive, parsing
gives an `InboundMail` or refuses with `UnparseableMail`, and ingesting ends as a ticket
entry or a quarantine record, never as an exception that would block the mails behind it.
Each property runs about 200 examples; the whole file stays well under a minute.
"""

from __future__ import annotations

import base64
import itertools
import tempfile
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from inbox_worker.app import build_app, fixed_clock
from inbox_worker.config import DatabaseSettings, Settings, SupportSettings, TechnicianSettings
from inbox_worker.domain.correlate import CROCKFORD, find_tokens
from inbox_worker.domain.model import InboundMail
from inbox_worker.errors import UnparseableMail
from inbox_worker.mail.inbound import parse_mail
from inbox_worker.mail.source import FetchedMail
from inbox_worker.store.models import Message, ProcessedMail, QuarantinedMail, Ticket

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- building blocks ----------------------------------------------------------------------

# Real charsets, labels mail clients write, and names no codec has.
CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "iso-8859-15", "koi8-r",
            "shift_jis", "iso-2022-jp", "gb2312", "big5", "euc-kr", "utf-16", "utf-7",
            "x-unknown", "bogus-charset-42", "utf-8\x00", "../../etc", "punycode",
            "unicode_escape", "", "cp65001", "x-mac-roman"]  # fmt: skip
# What a codec of that name would be asked to encode text with (the others get UTF-8).
_ENCODE_WITH = {"us-ascii": "ascii", "iso-8859-1": "latin-1", "windows-1252": "cp1252",
                "iso-8859-15": "iso-8859-15", "koi8-r": "koi8-r", "shift_jis": "shift_jis",
                "iso-2022-jp": "iso-2022-jp", "gb2312": "gb2312", "big5": "big5",
                "euc-kr": "euc-kr", "utf-16": "utf-16"}  # fmt: skip
CTES = ["base64", "quoted-printable", "8bit", "7bit"]

# Text with everything but lone surrogates (those cannot be written at all).
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
hostile_text = st.one_of(
    any_text,
    st.sampled_from(["\r\nBcc: victim@example.org", "a\x00b", "\u202egnp.exe", "..", "/",
                     "\\\\server\\share", "\t\t", "=?utf-8?q?=0D=0A?=", "回复: Re: AW:"]),
)
HEADER_NAMES = ["From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To",
                "References", "Auto-Submitted", "Precedence", "List-Id", "Return-Path",
                "Authentication-Results", "X-Mailer", "Content-Type", "MIME-Version",
                "X-Random"]  # fmt: skip
HOSTILE_FILENAMES = st.one_of(
    any_text,
    st.sampled_from(["../../../etc/passwd", "..\\..\\windows\\system32\\evil.dll",
                     "/absolute/path.txt", "C:\\boot.ini", "nul\x00byte.txt", "a/b\\c\x00d",
                     "\r\nContent-Type: text/html", "invoice\u202etxt.exe", "  .  ", "",
                     "x" * 400 + ".pdf", "%2e%2e%2fpasswd", "=?utf-8?b?Li4vLi4vZXZpbA==?="]),
)


def encoded_word(data: bytes, charset: str) -> str:
    return f"=?{charset or 'x'}?B?{base64.b64encode(data).decode()}?="


@st.composite
def header_value(draw: st.DrawFn) -> bytes:
    """A header value as mail clients (and attackers) write one: plain, RFC 2047, raw 8-bit."""
    text = draw(hostile_text)
    form = draw(st.integers(0, 3))
    if form == 0:  # RFC 2047 with a real charset, as a well-behaved client does
        charset = draw(st.sampled_from(["utf-8", "iso-8859-1", "shift_jis", "koi8-r"]))
        try:
            return Header(text, charset).encode().encode("ascii")
        except (UnicodeError, LookupError):
            return Header(text, "utf-8").encode().encode("ascii")
    if form == 1:  # any bytes inside an encoded-word, any label
        return encoded_word(draw(st.binary(max_size=40)), draw(st.sampled_from(CHARSETS))).encode()
    if form == 2:  # raw UTF-8, line breaks folded away (unfolded, they would end the header)
        return " ".join(text.split()).encode("utf-8", "surrogatepass")
    return draw(st.binary(max_size=60)).replace(b"\r", b" ").replace(b"\n", b" ")


@st.composite
def address_header(draw: st.DrawFn) -> bytes:
    """Mostly a usable address (with a hostile display name), sometimes none at all."""
    name = draw(header_value())
    # Rare branches hang on a middle value: Hypothesis favours the ends of a range.
    if draw(st.integers(0, 9)) != 5:
        local = draw(st.sampled_from(["carol", "a.b+tag", "x", "Dave.O'Brien"]))
        domain = draw(st.sampled_from(["customer.test", "xn--bcher-kva.test", "EXAMPLE.org"]))
        address = f"{local}@{domain}".encode()
        return name + b" <" + address + b">" if draw(st.booleans()) else address
    broken = draw(st.sampled_from(["<noreply@customer.test>", "<MAILER-DAEMON@customer.test>",
                                   "carol@", "@customer.test", "<>", "a b@c d", ""]))
    return name + b" " + broken.encode()


@st.composite
def leaf_part(draw: st.DrawFn) -> MIMEPart:
    part = MIMEPart()
    kind = draw(st.sampled_from(["text", "html", "attachment", "attachment", "inline", "rfc822"]))
    if kind == "rfc822":
        inner = EmailMessage()
        inner["Subject"] = " ".join(draw(any_text).split()) or "original"
        inner["Message-ID"] = f"<inner-{draw(st.integers(0, 10**6))}@example.com>"
        inner.set_content(draw(st.binary(max_size=100)), maintype="text", subtype="plain",
                          cte="base64")
        part.set_content(inner)
        return part
    if kind in ("text", "html"):
        charset = draw(st.sampled_from(CHARSETS))
        text = draw(any_text)
        if kind == "html":
            text = f"<html><body><p>{text}</p><script>alert(1)</script></body></html>"
        data = text.encode(_ENCODE_WITH.get(charset, "utf-8"), "replace")
        if draw(st.booleans()):
            data = draw(st.binary(max_size=200))  # bytes that fit no charset at all
        cte = draw(st.sampled_from(CTES))
        if cte == "7bit" and not data.isascii():
            cte = "base64"
        part.set_content(data, maintype="text", subtype="html" if kind == "html" else "plain",
                         cte=cte)
        part.set_param("charset", charset)
        return part
    data = draw(st.binary(max_size=300))
    maintype, subtype = draw(st.sampled_from([("application", "octet-stream"),
                                              ("application", "pdf"), ("image", "png"),
                                              ("text", "plain"), ("application", "x-msdownload")]))
    part.set_content(data, maintype=maintype, subtype=subtype, cte="base64")
    name = draw(HOSTILE_FILENAMES)
    disposition = "attachment" if kind == "attachment" else "inline"
    form = draw(st.integers(0, 3))
    # The stdlib refuses to write a line break itself; RFC 2231 carries any byte.
    one_line = "".join(name.splitlines()) == name
    if form == 0 and one_line:  # quoted or RFC 2231, as the stdlib chooses
        part.add_header("Content-Disposition", disposition, filename=name)
    elif form in (0, 3):  # RFC 2231 by hand: any byte, percent-encoded
        encoded = quote(name.encode("utf-8", "replace"), safe="")
        part.add_header("Content-Disposition", f"{disposition}; filename*=utf-8''{encoded}")
    elif form == 1:  # an encoded-word inside the quotes (RFC 2047 misuse, very common)
        encoded = encoded_word(name.encode("utf-8", "replace"), "utf-8")
        part.add_header("Content-Disposition", f'{disposition}; filename="{encoded}"')
    elif one_line:  # the old name parameter of Content-Type
        part.set_param("name", name)
    else:
        part.set_param("name", encoded_word(name.encode("utf-8", "replace"), "utf-8"))
    return part


def multipart_of(subtype: str, boundary: str, children: list[MIMEPart]) -> MIMEPart:
    part = MIMEPart()
    part["Content-Type"] = f'multipart/{subtype}; boundary="{boundary}"'
    for child in children:
        part.attach(child)
    return part


@st.composite
def mime_tree(draw: st.DrawFn, depth: int = 8) -> MIMEPart:
    """A MIME body: leaves, or multiparts nested up to `depth` levels."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(leaf_part())
    # Mostly one child: deep chains cost little and reach the nesting limits.
    count = draw(st.sampled_from([1, 1, 1, 2, 3]))
    children = [draw(mime_tree(depth - 1)) for _ in range(count)]
    subtype = draw(st.sampled_from(["mixed", "alternative", "related", "signed", "digest",
                                    "report; report-type=delivery-status"]))
    return multipart_of(subtype, f"=_b{depth}_{draw(st.integers(0, 999))}", children)


@st.composite
def mime_mail(draw: st.DrawFn) -> bytes:
    """A whole mail: random top headers (hostile values included) over a random MIME tree."""
    lines: list[bytes] = []
    if draw(st.integers(0, 19)) != 7:  # now and then no From at all
        lines.append(b"From: " + draw(address_header()))
    lines.append(b"To: support@example.com")
    lines.append(b"Subject: " + draw(header_value()))
    if draw(st.integers(0, 19)) != 7:  # now and then none: the store keys it by a hash
        # "<new-" is made unique per example by the ingest test.
        lines.append(b"Message-ID: <new-" + str(draw(st.integers(0, 10**9))).encode() +
                     b"@customer.test>")
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(HEADER_NAMES))
        addresses = name in ("From", "Cc", "Reply-To")
        value = draw(address_header()) if addresses else draw(header_value())
        lines.append(name.encode() + b": " + value)
    body = draw(mime_tree()).as_bytes()
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    return (b"\n".join(lines) + b"\n" + body).replace(b"\n", eol)


@st.composite
def header_shaped_bytes(draw: st.DrawFn) -> bytes:
    """Bytes that look like a header section (so parsing gets past the first check)."""
    names = st.one_of(st.sampled_from(HEADER_NAMES), st.text("abcXYZ-:", min_size=1, max_size=8))
    lines = [draw(names).encode() + b":" + draw(st.binary(max_size=50))
             for _ in range(draw(st.integers(1, 6)))]
    return b"\r\n".join(lines) + draw(st.sampled_from([b"\r\n\r\n", b"\n\n", b""])) + draw(
        st.binary(max_size=400))


arbitrary_bytes = st.one_of(st.binary(max_size=2000), header_shaped_bytes())


def assert_clean_mail(mail: InboundMail) -> None:
    assert "\r" not in mail.subject and "\n" not in mail.subject, repr(mail.subject)
    assert "\r" not in mail.from_name and "\n" not in mail.from_name, repr(mail.from_name)
    for name, values in mail.headers.items():
        for value in values:
            assert "\r" not in value and "\n" not in value, (name, value)


# --- (a) arbitrary bytes -------------------------------------------------------------------


@FUZZ
@given(raw=arbitrary_bytes)
def test_parse_arbitrary_bytes_gives_a_mail_or_unparseable(raw: bytes) -> None:
    try:
        mail = parse_mail(raw)
    except UnparseableMail as exc:
        assert exc.reason
        return
    assert isinstance(mail, InboundMail)
    assert_clean_mail(mail)


# --- (b) generated MIME --------------------------------------------------------------------


@FUZZ
@given(raw=mime_mail())
def test_parse_generated_mime_never_fails_otherwise(raw: bytes) -> None:
    try:
        mail = parse_mail(raw)
    except UnparseableMail as exc:
        event(f"unparseable: {exc.reason[:40]}")
        return
    event(f"attachments: {min(len(mail.attachments), 3)}")
    assert_clean_mail(mail)
    for attachment in mail.attachments:
        for bad in ("/", "\\", "\x00"):
            assert bad not in attachment.filename, (attachment.filename, bad)
        assert attachment.filename.strip(), attachment


# --- (c) the whole ingest path -------------------------------------------------------------

TECHNICIAN = "alice@example.com"
TAGS = ["#status closed", "#status on-hold billing", "#status scheduled 2026-12-01 02:00",
        "#status in-progress", "#note", "#priority urgent", "#category Printers",
        "#assign bob@example.com", "#customer carol@customer.test", "#status bogus",
        "#unknown tag", "#status scheduled 2020-01-01"]  # fmt: skip
# "command": a technician's command or refused tags on no ticket, answered by mail.
FINAL_OUTCOMES = {"created", "threaded", "duplicate", "quarantined", "command"}


def ingest_settings(directory: str) -> Settings:
    return Settings(
        support=SupportSettings(address="support@example.com", name="Example Support",
                                token_prefix="IW", message_id_domain="example.com"),
        database=DatabaseSettings(url=f"sqlite:///{directory}/fuzz.db"),
        technicians=TechnicianSettings(
            addresses=frozenset({TECHNICIAN, "bob@example.com"}),
            trusted_authserv_ids=("mx.example.com",),
        ),
        templates_dir=REPO / "templates",
    )


@st.composite
def technician_mail(draw: st.DrawFn) -> bytes:
    """A technician's mail with tag lines on top, authenticated or not."""
    mail = EmailMessage()
    mail["From"] = TECHNICIAN
    mail["To"] = "support@example.com"
    mail["Subject"] = " ".join(draw(any_text).split()) or "note"
    mail["Message-ID"] = f"<tech-{draw(st.integers(0, 10**9))}@example.com>"
    if draw(st.booleans()):
        mail["Authentication-Results"] = ("mx.example.com; dkim=pass header.d=example.com; "
                                          "dmarc=pass header.from=example.com")
    tags = draw(st.lists(st.sampled_from(TAGS), max_size=3))
    mail.set_content("\n".join(tags) + "\n\n" + draw(any_text) + "\n")
    return mail.as_bytes()


@st.composite
def conversation_mail(draw: st.DrawFn, known_ids: list[str], known_tokens: list[str]) -> bytes:
    """A mail that may reply to earlier ones (by token or headers), repeat a Message-ID, or
    come from a technician with tags: the paths beyond "new ticket"."""
    raw = draw(st.one_of(mime_mail(), mime_mail(), technician_mail()))
    # Header lines put on top: where a header comes twice, the parser reads the topmost.
    # The draws never depend on what is known so far (Hypothesis replays them): an index
    # is drawn and wrapped onto the mails and tickets stored by earlier examples.
    extra: list[bytes] = []
    reply, duplicate, by_token = (draw(st.booleans()) for _ in range(3))
    pick = draw(st.integers(0, 10**6))
    if known_ids and reply:
        parent = known_ids[pick % len(known_ids)]
        extra.append(f"In-Reply-To: <{parent}>".encode())
        if duplicate:
            extra.append(f"Message-ID: <{parent}>".encode())
    if known_tokens and by_token:
        extra.append(f"Subject: Re: [{known_tokens[pick % len(known_tokens)]}] more".encode())
    eol = b"\r\n" if b"\r\n" in raw else b"\n"
    return b"".join(line + eol for line in extra) + raw


def test_ingest_ends_as_ticket_entry_or_quarantine() -> None:
    with tempfile.TemporaryDirectory() as directory:
        app = build_app(ingest_settings(directory), clock=fixed_clock(NOW))
        numbers = itertools.count()
        known_ids: list[str] = []
        known_tokens: list[str] = []
        try:

            @FUZZ
            @given(data=st.data())
            def ingest(data: st.DataObject) -> None:
                conversation = conversation_mail(known_ids, known_tokens)
                raw = data.draw(st.one_of(conversation, conversation, conversation,
                                          arbitrary_bytes), label="raw")
                number = next(numbers)
                key = f"fuzz:{number}"
                raw = raw.replace(b"<new-", f"<new{number}-".encode())
                result = app.ingestor.process(FetchedMail(key=key, raw=raw), NOW)
                event(result.outcome)
                assert result.outcome in FINAL_OUTCOMES, result
                with app.sessions() as session:
                    if result.outcome == "quarantined":
                        held = session.scalars(
                            select(QuarantinedMail).where(QuarantinedMail.source_key == key)
                        ).all()
                        assert held, f"quarantined without a record: {result}"
                    else:
                        assert result.message_key
                        stored = session.scalar(
                            select(Message).where(Message.message_id == result.message_key)
                        )
                        assert stored is not None, f"no message for {result}"
                        if stored.direction == "in" and stored.message_id not in known_ids:
                            known_ids.append(stored.message_id)
                        if stored.ticket_id is None:
                            # A technician's command or refused tags on no ticket: kept,
                            # and answered by mail.
                            assert stored.kind == "command", stored.kind
                            return
                        ticket = session.get(Ticket, stored.ticket_id)
                        assert ticket is not None
                        if ticket.token not in known_tokens:
                            known_tokens.append(ticket.token)
                    processed = session.scalar(
                        select(ProcessedMail).where(ProcessedMail.source_key == key)
                    )
                    assert processed is not None and processed.outcome == result.outcome
                # The same mail handed over again is recognised, never stored twice.
                again = app.ingestor.process(FetchedMail(key=key, raw=raw), NOW)
                assert again.outcome == "already-processed", again

            ingest()
        finally:
            app.close()


# --- (d) token finding ---------------------------------------------------------------------

REPLY_PREFIXES = ["Re: ", "RE: ", "AW: ", "SV: ", "Antw: ", "Fwd: ", "FW: ", "回复: ", "Re[2]: ",
                  "Re: Re: ", "WG: ", "Odp: ", "答复：", "Ynt: ", "", "[EXTERNAL] ",
                  "*** SPAM *** "]  # fmt: skip
HYPHENS = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\uff0d"]
FOLDS = ["", "", "", " ", "\t", "\r\n ", "\n\t"]


@FUZZ
@given(text=st.text(max_size=300), prefix=st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}",
                                                        fullmatch=True))
def test_find_tokens_on_arbitrary_text(text: str, prefix: str) -> None:
    found = find_tokens(text, prefix)
    for token in found:
        head, _, body = token.partition("-")
        assert head == prefix.upper()
        assert len(body) == 10 and set(body) <= set(CROCKFORD), token


@st.composite
def mangled_subject(draw: st.DrawFn) -> tuple[str, str]:
    """(a subject as mail clients return it, the token it carries)."""
    head, body = "IW", draw(st.text(CROCKFORD, min_size=10, max_size=10))
    token = f"{head}-{body}"
    # Clients fold at arbitrary points, change case, use other dashes, or full-width forms.
    chars = list(body)
    spelled = "".join(c + draw(st.sampled_from(FOLDS)) for c in chars[:-1]) + chars[-1]
    dash = draw(st.sampled_from(FOLDS)) + draw(st.sampled_from(HYPHENS)) + draw(
        st.sampled_from(FOLDS))
    shown = head + dash + spelled
    if draw(st.booleans()):
        shown = shown.lower()
    if draw(st.integers(0, 4)) == 0:
        shown = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in shown)
    left, right = draw(st.sampled_from([("[", "]"), ("(", ")"), (" ", " "), ("#", ""),
                                        ("【", "】"), ("关于", "的问题"), ("", "")]))
    prefixes = "".join(draw(st.lists(st.sampled_from(REPLY_PREFIXES), max_size=4)))
    before = draw(any_text) if draw(st.booleans()) else ""
    after = draw(any_text)
    subject = f"{prefixes}{before} {left}{shown}{right} {after}"
    return subject, token


@FUZZ
@given(case=mangled_subject())
def test_find_tokens_finds_the_token_in_a_mangled_reply_subject(case: tuple[str, str]) -> None:
    subject, token = case
    assert token in find_tokens(subject, "IW"), subject
