"""When the satisfaction survey goes, and what its answer links are (PRODUCT.md section 5a).

This module owns the survey's due rule (`survey_decision`), the window in which a reply
counts as an answer (`ANSWER_DAYS`) and the mailto links of the survey notice
(`survey_links`). Pure: the shell gathers the facts, `now` is an argument.

Decisions where the product text is silent:

- A survey is due `after_days` after the ticket's latest closing and goes at most
  `LATE_DAYS` later than that: a worker that was stopped for a few days still sends it, but
  turning `[followup]` on does not ask about tickets closed long before.
- A ticket that will never get a survey (a robot's, a technician's, an opted-out or
  recently surveyed customer's, a duplicate) is "skipped": the shell marks it (a
  `survey-skipped` event with the reason, `survey_sent_at` set to its `closed_at`, the mark
  migration 0005 gave the tickets closed before the survey existed) and never looks at it
  again. A skipped ticket is not surveyed later, not even when it is reopened and closed
  again: one survey question per ticket.
- The per-customer limit counts the surveys that went (not suppressed) to the address in
  the last `per_customer_days`.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from inbox_worker.domain.model import Status
from inbox_worker.domain.survey import RATINGS, opt_out_subject, rating_subject

ANSWER_DAYS = 60  # a reply this long after the survey went is an ordinary mail
LATE_DAYS = 14  # a survey due longer ago than this is not sent any more

# How the five answers are labelled in the notice.
RATING_LABELS = {1: "very poor", 2: "poor", 3: "okay", 4: "good", 5: "excellent"}


@dataclass(frozen=True)
class SurveyFacts:
    """What the due rule reads of a ticket and its customer (addresses lower-cased)."""

    status: Status
    closed_at: datetime | None
    survey_sent_at: datetime | None
    duplicate: bool
    customer: str
    technician: bool  # the customer's address is a technician's
    unaddressable: str | None  # why no mail may go to it (the support address, noreply)
    automatic: bool  # the customer's mails on the ticket were list mail or auto-replies
    opted_out: bool
    last_survey_to_customer: datetime | None


@dataclass(frozen=True)
class SurveyDecision:
    """`send`: the survey goes now; `wait`: not due (yet, or any more: looked at again
    later, or never when it leaves the window); `skip`: never for this ticket (`reason`)."""

    action: Literal["send", "wait", "skip"]
    reason: str = ""


def due_window(now: datetime, after_days: int) -> tuple[datetime, datetime]:
    """(earliest, latest): tickets closed after `earliest` and at or before `latest` are
    due for their survey (a store's range on `closed_at`)."""
    latest = now - timedelta(days=after_days)
    return latest - timedelta(days=LATE_DAYS), latest


def survey_decision(facts: SurveyFacts, now: datetime, *, after_days: int,
                    per_customer_days: int) -> SurveyDecision:
    if after_days <= 0:
        return SurveyDecision("wait", "the survey is off")
    if facts.status != Status.CLOSED or facts.closed_at is None:
        return SurveyDecision("wait", "the ticket is not Closed")
    if facts.survey_sent_at is not None:
        return SurveyDecision("wait", "a survey went already")
    earliest, latest = due_window(now, after_days)
    if facts.closed_at > latest:
        due = facts.closed_at + timedelta(days=after_days)
        return SurveyDecision("wait", f"not due until {due.isoformat()}")
    if facts.closed_at <= earliest:
        return SurveyDecision("wait", "closed too long ago")
    skip = _skip_reason(facts, now, per_customer_days)
    return SurveyDecision("skip", skip) if skip else SurveyDecision("send")


def _skip_reason(facts: SurveyFacts, now: datetime, per_customer_days: int) -> str | None:
    if facts.duplicate:
        return "closed as a duplicate of another ticket"
    if facts.technician:
        return "the customer is a technician"
    if facts.unaddressable:
        return facts.unaddressable
    if facts.automatic:
        return "the customer's mails were automatic or list mail"
    if facts.opted_out:
        return "the customer asked for no surveys"
    last = facts.last_survey_to_customer
    if last is not None and now - last < timedelta(days=per_customer_days):
        return f"the customer got a survey on {last.date().isoformat()} " \
               f"(at most one in {per_customer_days} days)"
    return None


def is_answer_window(survey_at: datetime | None, now: datetime) -> bool:
    """Whether a reply at `now` may be an answer to a survey that went at `survey_at`."""
    return survey_at is not None and now - survey_at <= timedelta(days=ANSWER_DAYS)


def mailto(address: str, subject: str) -> str:
    """`mailto:ADDRESS?subject=...`, percent-encoded as RFC 6068 asks (a space is %20, not
    +; brackets and non-ASCII encoded), so that any mail client fills the subject in."""
    to = urllib.parse.quote(address.strip(), safe="@!$'*+,;=-._~")
    return f"mailto:{to}?subject={urllib.parse.quote(subject, safe='')}"


def survey_links(support_address: str, token: str) -> dict[str, Any]:
    """The survey's answers as links: `ratings` (rating, label, link) for 1-5, and
    `opt_out` (a link asking for no more surveys)."""
    return {
        "ratings": [{"rating": rating, "label": RATING_LABELS[rating],
                     "link": mailto(support_address, rating_subject(rating, token))}
                    for rating in RATINGS],
        "opt_out": mailto(support_address, opt_out_subject(token)),
    }
