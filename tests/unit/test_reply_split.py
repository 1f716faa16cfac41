"""Reply splitting: the candidate-line search finds the header mail-parser-reply's full scan
finds, on hand-written replies and on generated texts full of near-miss lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

from inbox_worker.mail import reply_split
from inbox_worker.mail.reply_split import first_header, reply_text, tidy

LIBRARY = EmailReplyParser(languages=list(reply_split.REPLY_LANGUAGES))
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def library_split(tidied: str) -> str | None:
    """The library's own answer on the same tidied text: the text above its first header,
    or None when it finds no header (or the header is the very first line)."""
    replies = LIBRARY.read(tidied).replies
    if len(replies) < 2 or replies[0].headers:
        return None
    return replies[0].content.strip() or None


def our_split(tidied: str) -> str | None:
    # The library's own patterns: this compares where the candidate-line search looks.
    header = first_header(tidied, reply_split.LIBRARY_HEADER_PATTERN)
    return (tidied[: header[0]].strip() or None) if header is not None else None


# Lines that make up replies: headers in every served language (some split over lines the
# way clients wrap them), and lines that look like headers but are not.
HEADER_LINES = [
    "On Mon, 3 Mar 2025 at 10:12, Anna Schmidt <anna@example.test> wrote:",
    "On Mon, 3 Mar 2025 at 10:12,\nAnna Schmidt <anna@example.test> wrote:",
    "On Mon, 3 Mar 2025\nat 10:12 Anna\nwrote:",
    "> On Tue, Ben wrote:",
    "Am 03.03.2025 um 10:12 schrieb Anna Schmidt <anna@example.test>:",
    "Am 03.03.2025 um 10:12\nschrieb Anna\n<anna@example.test>:",
    "Le lun. 3 mars 2025 à 10:12, Anna <anna@example.test> a écrit :",
    "Le\nlun. 3 mars 2025, Anna a écrit :",
    # mail-parser-reply's Spanish "El ... escribió:" pattern can never match (its lookahead
    # excludes what it matches), and its Dutch one only this form, not Gmail's.
    "Op ma 3 mrt 2025 om 10:12 schreef:",
    "Il giorno lun 3 mar 2025 alle ore 10:12 Anna ha scritto:",
    "Den mån 3 mars 2025 kl 10:12 skrev Anna <anna@example.test>:",
    "Den 3. mar. 2025 kl. 10.12 skrev Anna <anna@example.test>:",
    "-----Original Message-----",
    "From: Support\nSent: Monday\nTo: Carol\nSubject: Printer",
    "> From: Support\n> Sent: Monday\n> To: Carol",
    "*From:* Support\n*Sent:* Monday",
    "Von: Support\nGesendet: Montag\nAn: Carol\nBetreff: Drucker",
    "De : Support\nEnvoyé : lundi\nÀ : Carol\nObjet : Imprimante",
    "De: Soporte\nEnviado: lunes\nPara: Carol\nAsunto: Impresora",
    "Van: Support\nVerzonden: maandag\nAan: Carol\nOnderwerp: Printer",
    "Da: Supporto\nInviato: lunedì\nA: Carol\nOggetto: Stampante",
    "Från: Support\nSkickat: måndag\nTill: Carol\nÄmne: Skrivare",
    "Fra: Support\nSendt: mandag\nTil: Carol\nEmne: Printer",
    "-----Oprindelig meddelelse-----\nFra: Support\nSendt: mandag",
    "________________________________\nFrom: Support\nSent: Monday",
]
NEAR_MISSES = [
    "Error: the printer says E-42:",
    "Note: see below.",
    "Steps to reproduce:",
    "Time: 10:30",
    "https://example.test/a:b",
    "From the start it failed.",
    "On Monday it worked.",
    "wrote: nothing",
    "Subject to change.",
    "Am Montag geht es.",
    "Le problème persiste.",
    "original message was lost",
    "Thanks,",
    "Best regards",
    "-- ",
    "> quoted line",
    "",
    "Hello team",
    "It fails when I print two pages.",
    "     indented     text     with       spaces",
]
line = st.sampled_from(HEADER_LINES + NEAR_MISSES * 3)


@given(st.lists(line, min_size=1, max_size=25))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_same_first_header_as_the_library_on_generated_replies(lines: list[str]) -> None:
    tidied = tidy("\n".join(lines))
    assert our_split(tidied) == library_split(tidied)


@pytest.mark.parametrize("header", HEADER_LINES)
def test_each_header_splits(header: str) -> None:
    body = f"It works again, thank you.\n\n{header}\n\nPlease restart the printer.\n"
    assert library_split(tidy(body)) == "It works again, thank you."
    assert reply_text(body) == "It works again, thank you."


@pytest.mark.parametrize("near_miss", NEAR_MISSES)
def test_near_misses_do_not_split(near_miss: str) -> None:
    body = f"It still fails.\n{near_miss}\nPlease help.\n"
    assert library_split(tidy(body)) is None
    assert reply_text(body) == body


def test_corpus_bodies_split_as_the_library_splits() -> None:
    from inbox_worker.errors import UnparseableMail
    from inbox_worker.mail.inbound import parse_mail

    compared = 0
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file():
            continue
        try:
            mail = parse_mail(path.read_bytes())
        except UnparseableMail:
            continue
        tidied = tidy(mail.full_text[: reply_split.MAX_SEARCHED_CHARS])
        assert our_split(tidied) == library_split(tidied), path.name
        compared += 1
    assert compared > 150


def test_lines_before_candidate_covers_the_longest_header() -> None:
    # Each \s in a wrote-header pattern may be a line break; the German one has the most.
    def breaks(pattern: str) -> int:
        body = pattern.split(")((?:", 1)[-1]  # the header itself, after the lookahead
        return body.count(r"\s")

    served = [MAIL_LANGUAGES[lang]["wrote_header"] for lang in reply_split.REPLY_LANGUAGES]
    assert max(breaks(p) for p in served) <= reply_split.LINES_BEFORE_CANDIDATE


# --- a technician's reply to an alert -----------------------------------------------------
# Only the technician's own lines go to the customer: the quoted alert must go, however the
# client quotes it. The alert is laid out as templates/alert.txt.j2 lays it out, full of
# "Label: value" lines of its own.

ALERT = """Jane Doe opened ticket T-42.

  Ticket:    T-42  [IW-7K3M9QX2PD]
  Subject:   Printer jams
  Customer:  jane@example.org
  Status:    Open
  Priority:  normal
  Category:  -
  Assignee:  nobody
  In queue:  #3

Message:

The printer on floor 2 jams on every second page.
Error: E-42:

--\x20
Reply to this mail to answer the customer: only your new text is sent.
Tags on the first lines steer the ticket: #status on-hold, #status closed, #note (nothing
to the customer), #assign me, #priority urgent. Files you attach go to the customer."""

# What technicians write above it: tag lines first, a signature ("-- " loses its trailing
# space to tidying; tags.strip_signature accepts "--"), and "Label: value" lines of their own.
OWN_TEXTS = {
    "plain": (
        "#status on-hold\n#priority high\nHi Jane,\n\nI have ordered a new fuser; it arrives"
        " on Friday.\n\nBest regards,\nAlice\n-- \nAlice Example | IT Support\n+1 555 0100"
    ),
    "labels": (
        "#status closed\nStatus: fixed the printer\nCause: a worn pickup roller\n"
        "Date: Friday 10:00\nNote: call us if it jams again.\n\nAlice"
    ),
    "one line": "Fixed, the roller was worn.",
}
HEADERS = {
    "gmail": "On Wed, 2 Dec 2026 at 10:15, Example Support <support@example.com> wrote:\n",
    "gmail wrapped": (
        "On Wed, 2 Dec 2026 at 10:15, Example Support <\nsupport@example.com> wrote:\n"
    ),
    "outlook": (
        "________________________________\n"
        "From: Example Support <support@example.com>\n"
        "Sent: Wednesday, December 2, 2026 10:15 AM\n"
        "To: Alice <alice@example.com>\n"
        "Subject: [IW-7K3M9QX2PD] New ticket: T-42 Printer jams\n"
    ),
    "outlook bold": (
        "*From:* Example Support <support@example.com>\n"
        "*Sent:* Wednesday, December 2, 2026 10:15 AM\n"
        "*To:* Alice <alice@example.com>\n"
        "*Subject:* [IW-7K3M9QX2PD] New ticket: T-42 Printer jams\n"
    ),
    "outlook german": (
        "Von: Example Support <support@example.com>\n"
        "Gesendet: Mittwoch, 2. Dezember 2026 10:15\n"
        "An: Alice <alice@example.com>\n"
        "Betreff: [IW-7K3M9QX2PD] New ticket: T-42 Printer jams\n"
    ),
    "thunderbird": "On 02.12.26 10:15, Example Support wrote:\n",
    "original message": (
        "-----Original Message-----\n"
        "From: Example Support <support@example.com>\n"
        "Sent: Wednesday, December 2, 2026 10:15 AM\n"
        "To: Alice <alice@example.com>\n"
        "Subject: [IW-7K3M9QX2PD] New ticket: T-42 Printer jams\n"
    ),
}


def quoted(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.split("\n"))


def alert_replies() -> list[object]:
    cases: list[object] = []
    for own_name, own in OWN_TEXTS.items():
        bodies = {
            "gmail": f"{own}\n\n{HEADERS['gmail']}\n{quoted(ALERT)}\n",
            "gmail wrapped": f"{own}\n\n{HEADERS['gmail wrapped']}\n{quoted(ALERT)}\n",
            "outlook": f"{own}\n\n{HEADERS['outlook']}\n{ALERT}\n",
            # Outlook on the web and mobile: the underscores right below the text.
            "outlook no blank line": f"{own}\n{HEADERS['outlook']}\n{ALERT}\n",
            "outlook bold": f"{own}\n\n{HEADERS['outlook bold']}\n{ALERT}\n",
            "outlook german": f"{own}\n\n{HEADERS['outlook german']}\n{ALERT}\n",
            "apple mail": (
                f"{own}\n\n> On 2 Dec 2026, at 10:15, Example Support <support@example.com>"
                f" wrote:\n>\n{quoted(ALERT)}\n"
            ),
            "thunderbird": f"{own}\n\n{HEADERS['thunderbird']}\n{quoted(ALERT)}\n",
            "original message": f"{own}\n\n{HEADERS['original message']}\n{ALERT}\n",
            # Outlook's "prefix each line of the original message".
            "original message quoted": (
                f"{own}\n\n{quoted(HEADERS['original message'] + chr(10) + ALERT)}\n"
            ),
        }
        expected = "\n".join(line.strip() for line in own.split("\n"))
        for client, body in bodies.items():
            cases.append(pytest.param(body, expected, id=f"{client}, {own_name}"))
            crlf = body.replace("\n", "\r\n")
            cases.append(pytest.param(crlf, expected, id=f"{client}, {own_name}, crlf"))
    return cases


@pytest.mark.parametrize(("body", "expected"), alert_replies())
def test_reply_to_an_alert_keeps_only_the_technicians_lines(body: str, expected: str) -> None:
    assert reply_text(body) == expected


@pytest.mark.parametrize("own", OWN_TEXTS.values(), ids=OWN_TEXTS.keys())
def test_technicians_own_label_lines_are_not_a_header(own: str) -> None:
    # "Status: fixed the printer" and the like, with no quoted history after them.
    body = f"{own}\n"
    assert first_header(tidy(body)) is None
    assert reply_text(body) == body


@pytest.mark.parametrize(
    "separator",
    ["_" * 32, "-" * 40, "-----Original Message-----", "> -----Original Message-----"],
)
def test_only_a_separator_above_the_header_is_no_reply(separator: str) -> None:
    body = f"{separator}\nFrom: Example Support\nSent: Wednesday\n\n{ALERT}\n"
    assert reply_text(body) == body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A reply quoting the mail below it with no attribution line: the quote goes.
        ("Please restart it.\n\n> Internal note: customer owes us\n> Status: Open\n",
         "Please restart it."),
        ("Thanks!\r\n> quoted\r\n>\r\n> more\r\n\r\n", "Thanks!"),
        # Quoted lines between the sender's own stay; a mail that is only a quote stays.
        ("> Which model?\nThe X200.\n", "> Which model?\nThe X200.\n"),
        ("> only a quote\n", "> only a quote\n"),
    ],
)
def test_a_trailing_quote_without_attribution_is_cut(text: str, expected: str) -> None:
    assert reply_text(text).replace("\r", "") == expected.replace("\r", "")


# --- inline and bottom-posted replies -------------------------------------------------------
# Every line the sender wrote stays, in order; quoted lines between them stay as context;
# the quoted history before their first line (with its attribution) and after their last goes.

NOTICE_QUOTED = (
    "> Hello Ivan,\n>\n> Which model is it?\n>\n> Since when does it jam?\n>\n"
    "> Regards,\n> Example Support\n"
)
INLINE = (
    "> Hello Ivan,\n>\n> Which model is it?\nThe X200.\n\n> Since when does it jam?\n"
    "Monday.\n\n> Regards,\n> Example Support\n"
)
ATTRIBUTIONS = {
    "gmail": "On Wed, 2 Dec 2026 at 10:15, Example Support <support@example.com> wrote:",
    "gmail wrapped": "On Wed, 2 Dec 2026 at 10:15, Example Support\n<support@example.com> wrote:",
    "thunderbird": "On 02.12.26 10:15, Example Support wrote:",
    "apple mail": "> On 2 Dec 2026, at 10:15, Example Support <support@example.com> wrote:\n>",
    "german": "Am 02.12.2026 um 10:15 schrieb Example Support <support@example.com>:",
    # mail-parser-reply's French pattern fails on names holding "le " ("Example Support").
    "french": "Le mer. 2 déc. 2026 à 10:15, Support <support@example.com> a écrit :",
}


@pytest.mark.parametrize("attribution", ATTRIBUTIONS.values(), ids=ATTRIBUTIONS.keys())
def test_inline_answers_keep_every_line_the_sender_wrote(attribution: str) -> None:
    body = f"Hi,\n\n{attribution}\n{INLINE}"
    assert reply_text(body) == (
        "Hi,\n\n> Hello Ivan,\n>\n> Which model is it?\nThe X200.\n\n"
        "> Since when does it jam?\nMonday."
    )
    crlf = body.replace("\n", "\r\n")
    assert reply_text(crlf) == reply_text(body)


@pytest.mark.parametrize("attribution", ATTRIBUTIONS.values(), ids=ATTRIBUTIONS.keys())
def test_inline_answers_without_a_greeting_start_at_the_first_answer(attribution: str) -> None:
    body = f"{attribution}\n{INLINE}"
    assert reply_text(body) == "The X200.\n\n> Since when does it jam?\nMonday."


@pytest.mark.parametrize("attribution", ATTRIBUTIONS.values(), ids=ATTRIBUTIONS.keys())
def test_a_bottom_posted_reply_drops_the_history_above_it(attribution: str) -> None:
    body = f"{attribution}\n{NOTICE_QUOTED}\nIt is the X200, since Monday.\n\nIvan\n"
    assert reply_text(body) == "It is the X200, since Monday.\n\nIvan"


def test_a_bottom_posted_technician_reply_keeps_its_tags_first() -> None:
    body = f"{HEADERS['gmail']}{quoted(ALERT)}\n\n#status closed\nThe roller was worn.\n"
    assert reply_text(body) == "#status closed\nThe roller was worn."


def test_inline_answers_end_at_the_unquoted_history_below_them() -> None:
    # Answers between the quoted lines, and the whole earlier thread below them, unquoted.
    body = (
        f"{ATTRIBUTIONS['gmail']}\n> Which model is it?\nThe X200.\n\n"
        f"{HEADERS['outlook']}\nHello,\nmy printer jams.\n"
    )
    assert reply_text(body) == "The X200."


def test_a_quoted_header_inside_the_answers_stays_context() -> None:
    body = (
        f"{ATTRIBUTIONS['gmail']}\n> Did the fix work?\nNo.\n> On Mon, Ivan wrote:\n"
        "> > It jams.\nStill jams.\n"
    )
    assert reply_text(body) == "No.\n> On Mon, Ivan wrote:\n> > It jams.\nStill jams."


@pytest.mark.parametrize(
    "history",
    [
        # Outlook's history is not '>'-quoted: nothing below its header is the sender's.
        f"{HEADERS['outlook']}\n{ALERT}\n",
        # A quote with nothing written below it: a top-posted reply.
        f"{ATTRIBUTIONS['gmail']}\n{NOTICE_QUOTED}",
        f"{ATTRIBUTIONS['gmail']}\n{NOTICE_QUOTED}\n\n",
    ],
)
def test_history_without_answers_below_it_goes(history: str) -> None:
    assert reply_text(f"It is the X200.\n\n{history}") == "It is the X200."


def test_a_mail_that_is_only_a_quote_stays_whole() -> None:
    body = f"{ATTRIBUTIONS['gmail']}\n{NOTICE_QUOTED}"
    assert reply_text(body) == body


@pytest.mark.parametrize("gap", ["", "\n", ">\n"])
def test_an_answer_right_below_a_quoted_outlook_block_stays(gap: str) -> None:
    body = (
        "> From: Example Support\n> Sent: Monday\n> To: Ivan\n> Subject: Printer\n"
        f"{gap}> Which model?\nThe X200.\n> Since when?\nMonday.\n> Regards\n"
    )
    assert reply_text(body) == "The X200.\n> Since when?\nMonday."
