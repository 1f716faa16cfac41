"""The envelope of a claimed outbox row: several recipients only for mails to technicians."""

from __future__ import annotations

from inbox_worker.service.delivery import ClaimedNotice, outgoing


def claimed(notice: str, recipient: str) -> ClaimedNotice:
    return ClaimedNotice(1, 1, notice, recipient, "iw.1@example.com", 0, b"raw")


def test_an_alert_goes_to_all_its_technicians_in_one_transaction() -> None:
    mail = outgoing(claimed("alert", "alice@example.com, bob@example.com"),
                    "support@example.com")
    assert (mail.recipient, mail.also) == ("alice@example.com", ("bob@example.com",))


def test_a_customers_address_is_never_taken_apart() -> None:
    mail = outgoing(claimed("acknowledged", '"ceo, cfo"@example.com'), "support@example.com")
    assert (mail.recipient, mail.also) == ('"ceo, cfo"@example.com', ())
