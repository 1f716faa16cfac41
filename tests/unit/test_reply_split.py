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
from inbox_worker.mail.reply_split import first_header_at, reply_text, tidy

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
    at = first_header_at(tidied)
    return (tidied[:at].strip() or None) if at is not None else None


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
    from inbox_worker.mail.parse import parse_mail

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
