"""The satisfaction survey's pure core: reading answers, the mailto links, the due rule."""

from __future__ import annotations

import urllib.parse
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from inbox_worker.domain import correlate
from inbox_worker.domain.followup import (
    SurveyFacts,
    is_answer_window,
    mailto,
    survey_decision,
    survey_links,
)
from inbox_worker.domain.model import Status
from inbox_worker.domain.survey import SurveyAnswer, comment_of, rating_subject, read_answer

TOKEN = "IW-7K3M9QX2PD"
REPLY = f"Re: [{TOKEN}] How did we do? Printer offline"


@pytest.mark.parametrize(("subject", "expected"), [
    (f"Rating 4 [{TOKEN}]", 4),
    (f"[{TOKEN}] Rating 1", 1),
    (f"Re: Rating 5 [{TOKEN}]", 5),
    (f"AW: Rating: 3 [{TOKEN}]", 3),
    (f"rating 2/5 [{TOKEN}]", 2),
    (f"Rating 4 [{TOKEN.lower()}]", 4),
    (f"Rating 4 {TOKEN}", 4),
    # Near misses: no rating in the subject (and none in an empty text).
    (f"Rating 0 [{TOKEN}]", None),
    (f"Rating 6 [{TOKEN}]", None),
    (f"Rating 45 [{TOKEN}]", None),
    (f"Rating [{TOKEN}]", None),
    (f"Rating 4 for the printer [{TOKEN}]", None),
    (f"Re: [{TOKEN}] Printer rating 4 stars", None),
])
def test_the_mailto_subject(subject: str, expected: int | None) -> None:
    answer = read_answer(subject, "")
    assert (answer.rating if answer else None) == expected


def test_the_mailto_subject_keeps_what_the_customer_typed_as_comment() -> None:
    answer = read_answer(f"Rating 2 [{TOKEN}]", "It took a week.\n\n-- \nCarol Smith\nACME")
    assert answer == SurveyAnswer(rating=2, comment="It took a week.")


@pytest.mark.parametrize(("text", "rating", "comment"), [
    ("5", 5, ""),
    ("5\n", 5, ""),
    ("  4  ", 4, ""),
    ("1 - still broken", 1, "still broken"),
    ("1 – still broken", 1, "still broken"),
    ("2: slow answers", 2, "slow answers"),
    ("3, it works now", 3, "it works now"),
    ("5!", 5, ""),
    ("5.", 5, ""),
    ("4/5", 4, ""),
    ("4 / 5 - quick", 4, "quick"),
    ("4 out of 5", 4, ""),
    ("5 stars", 5, ""),
    ("5 Sterne, danke", 5, "danke"),
    ("3 étoiles", 3, ""),
    ("Hi,\n\n5\n\nCarol", 5, ""),
    ("Hello team,\n4 - good, but slow\n\nThanks,\nCarol", 4, "good, but slow"),
    ("1\n\nThe printer is still offline.\nPlease call me.", 1,
     "The printer is still offline.\nPlease call me."),
    ("5\n\nSent from my iPhone", 5, ""),
    ("★★★★☆", 4, ""),
    ("⭐⭐⭐⭐⭐", 5, ""),
])
def test_a_number_at_the_start(text: str, rating: int, comment: str) -> None:
    assert read_answer(REPLY, text) == SurveyAnswer(rating=rating, comment=comment)


@pytest.mark.parametrize("text", [
    "0", "6", "10/10", "10", "-1", "5/10",          # outside 1-5, or another scale
    "3.5", "4,5", "1-2 days ago it broke", "5:30 works for me", "3pm tomorrow?",
    "2 printers still jam", "2026-12-05 it broke again", "12 pages printed",
    "",  "\n\n", "thanks", "Thank you!", "What about my other ticket?",
])
def test_near_misses_are_no_rating(text: str) -> None:
    assert read_answer(REPLY, text) is None


@pytest.mark.parametrize(("text", "rating"), [
    ("great", 5), ("Great, thanks!", 5), ("Excellent!", 5), ("very good", 5),
    ("good", 4), ("Good.", 4), ("ok", 3), ("OK thanks", 3), ("fine", 3),
    ("bad", 2), ("poor", 2), ("terrible", 1), ("very bad", 1), ("awful!!", 1),
    ("Sehr gut, danke!", 5), ("gut", 4), ("schlecht", 2), ("sehr schlecht", 1),
    ("très bien", 5), ("bien, merci", 4), ("mauvais", 2), ("nul", 1),
    ("excelente", 5), ("muy bien", 5), ("bueno", 4), ("malo", 2), ("muy malo", 1),
    ("Hi,\n\ngreat, thanks!\n\nCarol", 5),
])
def test_words_in_a_short_reply(text: str, rating: int) -> None:
    assert read_answer(REPLY, text) == SurveyAnswer(rating=rating)


def test_a_word_rating_keeps_the_rest_as_comment() -> None:
    assert read_answer(REPLY, "Good but slow") == SurveyAnswer(4, "Good but slow")


@pytest.mark.parametrize("text", [
    "not good", "nicht gut", "pas bien", "no muy bien",        # negation: a person reads it
    "good but bad support",                                     # two ratings
    "great",                                                    # (see below: made long)
])
def test_words_that_are_no_rating(text: str) -> None:
    if text == "great":
        text = ("Great. Now the printer does not print at all and nobody answers the phone, "
                "I have been waiting for three days and my whole team cannot work.")
    assert read_answer(REPLY, text) is None


def test_a_long_complaint_with_a_good_word_in_the_first_line_is_no_rating() -> None:
    text = "Great\n\n" + "The printer still jams on every page and nobody called back. " * 3
    assert read_answer(REPLY, text) is None


@pytest.mark.parametrize("text", [
    "no more surveys", "Please, no more surveys.", "Unsubscribe", "stop sending surveys",
    "Don't send me surveys", "keine Umfragen mehr bitte", "abmelden",
    "plus de sondages, merci", "Désabonner", "no más encuestas", "darme de baja por favor",
])
def test_opt_out(text: str) -> None:
    assert read_answer(REPLY, text) == SurveyAnswer(opt_out=True)


def test_opt_out_by_link_and_with_a_rating() -> None:
    assert read_answer(f"No more surveys [{TOKEN}]", "") == SurveyAnswer(opt_out=True)
    assert read_answer(REPLY, "5 - but no more surveys please") == SurveyAnswer(
        rating=5, comment="but no more surveys please", opt_out=True)


def test_opt_out_needs_a_short_text_and_not_the_ticket_subject() -> None:
    # The ticket's own subject comes back in every reply.
    assert read_answer("Re: [IW-7K3M9QX2PD] Unsubscribe me from the newsletter", "") is None
    long = "Your newsletter's unsubscribe link is broken. " + "It gives an error. " * 12
    assert read_answer(REPLY, long) is None


def test_comment_of_a_plain_reply() -> None:
    assert comment_of("Hi,\n\nthe printer is still offline.\n\nThanks,\nCarol") == (
        "the printer is still offline.")
    assert comment_of("\n\n") == ""


# -- the links -------------------------------------------------------------------------------


def test_mailto_links_carry_the_rating_and_the_token_percent_encoded() -> None:
    links = survey_links("support@example.com", TOKEN)
    assert [r["rating"] for r in links["ratings"]] == [1, 2, 3, 4, 5]
    link = links["ratings"][3]["link"]
    assert link == f"mailto:support@example.com?subject=Rating%204%20%5B{TOKEN}%5D"
    subject = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["subject"][0]
    assert subject == rating_subject(4, TOKEN)
    assert correlate.find_tokens(subject) == [TOKEN]
    assert read_answer(subject, "") == SurveyAnswer(rating=4)
    opt_out = str(links["opt_out"])
    subject = urllib.parse.parse_qs(urllib.parse.urlsplit(opt_out).query)["subject"][0]
    assert read_answer(subject, "") == SurveyAnswer(opt_out=True)


def test_mailto_encodes_what_would_break_the_link() -> None:
    assert mailto("help+desk@example.com", "a&b=c?d #é") == (
        "mailto:help+desk@example.com?subject=a%26b%3Dc%3Fd%20%23%C3%A9")
    with pytest.raises(ValueError):
        rating_subject(6, TOKEN)


# -- the due rule ----------------------------------------------------------------------------

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
DUE = SurveyFacts(
    status=Status.CLOSED, closed_at=NOW - timedelta(days=3), survey_sent_at=None,
    duplicate=False, customer="carol@customer.test", technician=False, unaddressable=None,
    automatic=False, opted_out=False, last_survey_to_customer=None,
)


def decide(facts: SurveyFacts, *, after_days: int = 3) -> tuple[str, str]:
    decision = survey_decision(facts, NOW, after_days=after_days, per_customer_days=30)
    return decision.action, decision.reason


@pytest.mark.parametrize(("changes", "action", "reason"), [
    ({}, "send", ""),
    ({"closed_at": NOW - timedelta(days=3) + timedelta(seconds=1)}, "wait", "not due"),
    ({"closed_at": NOW - timedelta(days=17)}, "wait", "too long ago"),
    ({"status": Status.CUSTOMER_REPLY}, "wait", "not Closed"),
    ({"survey_sent_at": NOW - timedelta(days=1)}, "wait", "already"),
    ({"duplicate": True}, "skip", "duplicate"),
    ({"technician": True}, "skip", "technician"),
    ({"unaddressable": "the recipient is a no-reply address"}, "skip", "no-reply"),
    ({"automatic": True}, "skip", "automatic"),
    ({"opted_out": True}, "skip", "no surveys"),
    ({"last_survey_to_customer": NOW - timedelta(days=29)}, "skip", "at most one"),
    ({"last_survey_to_customer": NOW - timedelta(days=30)}, "send", ""),
])
def test_survey_decision(changes: dict[str, object], action: str, reason: str) -> None:
    got_action, got_reason = decide(replace(DUE, **changes))  # type: ignore[arg-type]
    assert got_action == action and reason in got_reason


def test_the_survey_is_off_with_zero_days() -> None:
    assert decide(DUE, after_days=0)[0] == "wait"


def test_the_answer_window() -> None:
    assert is_answer_window(NOW - timedelta(days=60), NOW)
    assert not is_answer_window(NOW - timedelta(days=60, seconds=1), NOW)
    assert not is_answer_window(None, NOW)
