"""Threading (PRODUCT.md section 3): tokens, subjects as clients mangle them, the choice."""

from __future__ import annotations

import re

import pytest

from inbox_worker.domain.correlate import (
    CROCKFORD,
    ThreadChoice,
    TicketRef,
    choose_ticket,
    find_tokens,
    format_subject,
    is_forward,
    new_token,
    strip_reply_prefixes,
)
from inbox_worker.domain.model import MailKind

TOKEN = "IW-7K3M9QX2PD"
OTHER = "IW-ABCDEFGHJK"

# --- tokens -------------------------------------------------------------------------------


def test_new_token_format() -> None:
    token = new_token()
    assert re.fullmatch(rf"IW-[{CROCKFORD}]{{10}}", token)
    assert find_tokens(f"[{token}] hello") == [token]


def test_new_token_other_prefix() -> None:
    token = new_token("Acme")
    assert re.fullmatch(rf"ACME-[{CROCKFORD}]{{10}}", token)
    assert find_tokens(f"Re: [{token}]", "acme") == [token]
    assert find_tokens(f"Re: [{token}]") == []


def test_new_tokens_are_unique_and_spread() -> None:
    tokens = [new_token() for _ in range(5000)]
    assert len(set(tokens)) == len(tokens)
    # Each position uses (nearly) the whole alphabet: no counter or clock in the token.
    for position in range(3, 13):
        assert len({t[position] for t in tokens}) == len(CROCKFORD)


@pytest.mark.parametrize("prefix", ["", "I-W", "9IW", "I W", "IW.*"])
def test_bad_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError):
        new_token(prefix)
    with pytest.raises(ValueError):
        find_tokens("x", prefix)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Printer broken", f"[{TOKEN}] Printer broken"),
        (f"Re: [{TOKEN}] Printer broken", f"Re: [{TOKEN}] Printer broken"),
        (f"Re: [{TOKEN.lower()}] Printer", f"Re: [{TOKEN.lower()}] Printer"),
        (f"[{OTHER}] Printer", f"[{TOKEN}] [{OTHER}] Printer"),
        ("", f"[{TOKEN}]"),
        ("Printer\r\nBcc: victim@example.org", f"[{TOKEN}] Printer Bcc: victim@example.org"),
        ("Long subject\r\n folded", f"[{TOKEN}] Long subject folded"),
    ],
)
def test_format_subject(subject: str, expected: str) -> None:
    assert format_subject(subject, TOKEN) == expected


def test_no_token_leaves_the_subject_alone_on_one_line() -> None:
    assert format_subject("Daily digest:\r\n 3 tickets", "") == "Daily digest: 3 tickets"


REPLY_PREFIXES = [
    "Re:", "RE:", "re:", "Re :", "RE : ", "AW:", "Aw:", "SV:", "Sv:", "Antw:", "Antwort:",
    "Fwd:", "FWD:", "Fw:", "FW:", "WG:", "TR:", "TR :", "回复:", "回复：", "答复:", "转发:",
    "回覆:", "轉寄:", "Ynt:", "YNT:", "Odp:", "Vs:", "VS:", "VB:", "VL:", "RV:", "RES:", "ENC:",
    "Rif:", "R:", "I:", "Réf:", "Doorst:", "ΑΠ:", "Απ:", "ΣΧΕΤ:", "Отв:", "Ответ:", "Пересл:",
    "답장:", "회신:", "전달:", "転送:", "İLT:", "Přeposlat:", "Re[2]:", "RE[12]:", "Re(3):",
    "Re^2:", "Re: RE:", "AW: WG: Re:", "回复: 转发: Re:",
]  # fmt: skip


@pytest.mark.parametrize("prefix", REPLY_PREFIXES)
def test_find_token_behind_any_reply_prefix(prefix: str) -> None:
    assert find_tokens(f"{prefix} [{TOKEN}] Printer broken") == [TOKEN]
    assert find_tokens(f"{prefix}[{TOKEN}] Printer broken") == [TOKEN]
    assert find_tokens(f"{prefix}{TOKEN} Printer broken") == [TOKEN]


@pytest.mark.parametrize(
    "subject",
    [
        f"[{TOKEN}] Printer",
        f"[{TOKEN.lower()}] Printer",
        "Re: [iW-7k3M9qx2Pd] Printer",
        f"({TOKEN}) Printer",
        f"{TOKEN} Printer",
        f"Printer {TOKEN}",
        f"Printer - {TOKEN}",
        f"{{{TOKEN}}}",
        f"<{TOKEN}>",
        f"'{TOKEN}',",
        f"【{TOKEN}】打印机坏了",
        f"打印机坏了{TOKEN}",
        f"[ {TOKEN} ] Printer",
        f"Ticket#{TOKEN}",
        f"Ticket:{TOKEN}.",
        # Folding, as left behind after the header's CRLF is unfolded, or not unfolded at all.
        "Re: [IW- 7K3M9QX2PD] Printer",
        "Re: [IW-\r\n 7K3M9QX2PD] Printer",
        "Re: [IW -7K3M9QX2PD] Printer",
        "Re: [IW-7K3M9\r\n QX2PD] Printer",
        "Re:\r\n [IW-7K3M9QX2PD]\r\n Printer",
        "Re:\t[IW-7K3M9QX2PD]\tPrinter",
        # Dashes and full-width forms a client or input method substitutes.
        "Re: [IW\u20137K3M9QX2PD]",
        "Re: [IW\u20117K3M9QX2PD]",
        "Re：［ＩＷ－７Ｋ３Ｍ９ＱＸ２ＰＤ］",
    ],
)
def test_find_token_variants(subject: str) -> None:
    assert find_tokens(subject) == [TOKEN]


def test_find_token_maps_crockford_lookalikes() -> None:
    # Typed by a person: O for 0, I and L for 1 (Crockford's decoding rule).
    assert find_tokens("Re: [iw-0o1il23456]") == ["IW-0011123456"]


@pytest.mark.parametrize(
    "subject",
    [
        "Printer broken",
        f"X{TOKEN} Printer",
        f"{TOKEN}X Printer",
        f"{TOKEN}7 Printer",
        "AIW-7K3M9QX2PD",
        f"{TOKEN}_old",
        f"old_{TOKEN}",
        f"foo-{TOKEN}",
        f"{TOKEN}-2",
        "IW-7K3M9QX2P",  # too short
        "IW-7K3M9QX2PDA",  # too long
        "IW-7K3M9QX2PU",  # U is not Crockford
        "IW-7K3M9QX2P!",
        "IW7K3M9QX2PD",  # no dash
        "IWX-7K3M9QX2PD",
        "[IX-7K3M9QX2PD]",
        "KIWI-7K3M9QX2PD",
    ],
)
def test_find_token_no_match(subject: str) -> None:
    assert find_tokens(subject) == []


def test_find_two_tokens_in_order_once_each() -> None:
    subject = f"Re: [{OTHER}] Fwd: [{TOKEN}] Re: [{OTHER.lower()}] merged"
    assert find_tokens(subject) == [OTHER, TOKEN]


# --- reply prefixes -----------------------------------------------------------------------


@pytest.mark.parametrize("prefix", REPLY_PREFIXES)
def test_strip_reply_prefixes(prefix: str) -> None:
    assert strip_reply_prefixes(f"{prefix} Printer broken") == "Printer broken"
    assert strip_reply_prefixes(f"{prefix}{prefix} Printer broken") == "Printer broken"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Printer broken", "Printer broken"),
        ("Re: Re: Re: Printer", "Printer"),
        ("RE: RE: Printer", "Printer"),
        ("Re[2]: Printer", "Printer"),
        ("Re:Printer", "Printer"),
        ("Re:\r\n Printer\r\n  broken", "Printer broken"),
        ("  Fwd:   Printer   broken  ", "Printer broken"),
        (f"Re: [{TOKEN}] Re: Printer", f"[{TOKEN}] Re: Printer"),
        # Words that merely start like a prefix stay.
        ("Rex: Printer", "Rex: Printer"),
        ("Reboot: tonight", "Reboot: tonight"),
        ("Invoice: 42", "Invoice: 42"),
        ("Re", "Re"),
        ("Re: ", ""),
        ("Subject with Re: inside", "Subject with Re: inside"),
    ],
)
def test_strip_reply_prefixes_cases(subject: str, expected: str) -> None:
    assert strip_reply_prefixes(subject) == expected


# --- forwards -----------------------------------------------------------------------------

FORWARD_PREFIXES = [
    "Fwd:", "FWD:", "fwd:", "Fw:", "FW:", "fw:", "WG:", "Wg:", "TR:", "Tr:", "RV:", "Rv:",
    "I:", "VS:", "Vs:", "VB:", "VL:", "Doorst:", "DOORST:", "PD:", "Pd:", "Přeposlat:",
    "PŘEPOSLAT:", "İlt:", "İLT:", "ILT:", "Пересл:", "ПЕРЕСЛ:", "转发:", "轉寄:", "轉發:",
    "전달:", "転送:", "Enc:", "ENC:", "Továbbítás:", "ΠΡΘ:",
    # Full-width colon, space before the colon, a counter.
    "Fwd：", "転送：", "Fwd :", "WG :", "TR :", "Fwd[2]:",
]  # fmt: skip


@pytest.mark.parametrize("prefix", FORWARD_PREFIXES)
def test_is_forward_after_any_forward_prefix(prefix: str) -> None:
    assert is_forward(f"{prefix} [{TOKEN}] New ticket T-42: Printer jams")
    assert is_forward(f"{prefix} Printer jams")
    assert is_forward(f"[{TOKEN}] {prefix} Printer jams")
    # A reply to a forward (a colleague answering the forwarded alert) is an answer.
    assert not is_forward(f"Re: {prefix} Printer jams")
    assert not is_forward(f"AW: SV: {prefix} Printer jams")
    assert not is_forward(f"Re: [{TOKEN}] {prefix} Printer jams")
    # Forwarding strips nothing: the prefix is still a forward's without a space after it.
    if prefix.casefold() != "i:":
        assert is_forward(f"{prefix}Printer jams")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (f"Fwd: [{TOKEN}] New ticket T-42: Printer jams", True),
        # The first prefix decides: a reply to a forward is an answer.
        (f"Re: Fwd: [{TOKEN}] New ticket T-42: Printer jams",False),
        (f"Fwd: Re: [{TOKEN}] Printer jams", True),
        (f"[{TOKEN}] Fwd: Printer jams", True),
        (f"RE: [{TOKEN}] FW: Printer jams",False),
        (f"Re: [{TOKEN.lower()}] WG: Drucker",False),
        (f"Re:[{TOKEN}]Fwd:Printer",False),
        ("Re:\r\n Fwd: Printer",False),
        (f"  Re :  [ {TOKEN} ]  Fwd : Printer",False),
        (f"Re[2]: AW: [{TOKEN}] TR: Imprimante",False),
        (f"回复: [{TOKEN}] 转发: 打印机坏了",False),
        (f"回复：【{TOKEN}】转发：打印机坏了",False),
        ("Re：［ＩＷ－７Ｋ３Ｍ９ＱＸ２ＰＤ］Ｆｗｄ：Printer",False),
        ("ＦＷ： Printer", True),
        ("[ACME-7K3M9QX2PD] Fwd: another token prefix", True),
        ("I: Stampante guasta", True),
        (f"R: I: [{TOKEN}] Stampante",False),
        # Italian "I:" only with text after it.
        ("I:", False),
        ("I: ", False),
        ("I:Stampante", False),
        ("Re: I:", False),
        # Replies and ordinary subjects.
        ("Re: printer", False),
        (f"Re: [{TOKEN}] Printer jams", False),
        (f"AW: SV: Antw: 回复: [{TOKEN}] New ticket T-42: Printer jams", False),
        (f"[{TOKEN}] New ticket T-42: Printer jams", False),
        ("Printer jams", False),
        ("", False),
        ("Fwd", False),
        ("Fwd-less subject", False),
        ("Fwd less subject", False),
        ("Info: printer", False),
        ("Info: Fwd: printer", False),
        ("WG-Raum kaputt", False),
        ("WG Raum: kaputt", False),
        ("Firewall: blocked", False),
        ("Forward: planning", False),
        ("I need help", False),
        ("Invoice: 42", False),
        ("TRouble: printer", False),
        ("Encore: printer", False),
        ("Subject with Fwd: inside", False),
        (f"Re: Printer [{TOKEN}] Fwd: x", False),
        # Only the leading run counts: one token, then prefixes, then the subject proper.
        (f"Re: [{TOKEN}] New ticket T-42: Fwd: Printer", False),
        (f"Re: [{TOKEN}] [{OTHER}] Fwd: Printer", False),
        (f"Re: [{TOKEN[:-1]}] Fwd: Printer", False),
    ],
)
def test_is_forward(subject: str, expected: bool) -> None:
    assert is_forward(subject) is expected


def test_every_forward_prefix_is_also_stripped() -> None:
    # Stored ticket subjects lose their leading prefixes, so a forward prefix found after
    # the token in a technician's reply is theirs, never the customer's subject.
    for prefix in FORWARD_PREFIXES:
        assert strip_reply_prefixes(f"{prefix} Printer") == "Printer", prefix


# --- choosing the ticket ------------------------------------------------------------------

TECHS = frozenset({"alice@example.com", "bob@example.com"})
A = TicketRef(1, "carol@customer.example", frozenset({"dave@customer.example"}))
B = TicketRef(2, "erin@other.example", frozenset())
STRANGER = "mallory@evil.example"
DAEMON = "mailer-daemon@mx.customer.example"
C, AR, BO = MailKind.CUSTOMER, MailKind.AUTO_REPLY, MailKind.BOUNCE


@pytest.mark.parametrize(
    ("sender", "by_token", "by_headers", "kind", "expected"),
    [
        # By token: who may write.
        ("carol@customer.example", A, None, C, ThreadChoice(1, "token", False)),
        ("Carol@Customer.Example", A, None, C, ThreadChoice(1, "token", False)),
        ("dave@customer.example", A, None, C, ThreadChoice(1, "token", False)),
        ("alice@example.com", A, None, MailKind.TECHNICIAN, ThreadChoice(1, "token", False)),
        (STRANGER, A, None, C, ThreadChoice(None, "new", True)),
        ("", A, None, C, ThreadChoice(None, "new", True)),
        # By headers: the same rule.
        ("carol@customer.example", None, A, C, ThreadChoice(1, "headers", False)),
        ("dave@customer.example", None, A, C, ThreadChoice(1, "headers", False)),
        ("bob@example.com", None, A, MailKind.TECHNICIAN, ThreadChoice(1, "headers", False)),
        (STRANGER, None, A, C, ThreadChoice(None, "new", False)),
        (STRANGER, None, A, MailKind.LIST, ThreadChoice(None, "new", False)),
        # Automatic mail threads by headers from anyone, by token only if it may write.
        (DAEMON, None, A, BO, ThreadChoice(1, "headers", False)),
        ("", None, A, BO, ThreadChoice(1, "headers", False)),
        ("robot@vacation.example", None, A, AR, ThreadChoice(1, "headers", False)),
        (DAEMON, A, None, BO, ThreadChoice(None, "new", True)),
        (DAEMON, A, A, BO, ThreadChoice(1, "headers", False)),
        ("carol@customer.example", A, None, AR, ThreadChoice(1, "token", False)),
        ("carol@customer.example", None, A, AR, ThreadChoice(1, "headers", False)),
        # Token and headers disagree: the token wins if the sender may write to its ticket...
        ("carol@customer.example", A, B, C, ThreadChoice(1, "token", False)),
        ("alice@example.com", A, B, MailKind.TECHNICIAN, ThreadChoice(1, "token", False)),
        # ...else the headers, if the sender may write there (the stray token is logged)...
        ("erin@other.example", A, B, C, ThreadChoice(2, "headers", True)),
        (DAEMON, A, B, BO, ThreadChoice(2, "headers", True)),
        # ...else a new ticket.
        (STRANGER, A, B, C, ThreadChoice(None, "new", True)),
        # Nothing found.
        ("carol@customer.example", None, None, C, ThreadChoice(None, "new", False)),
        (DAEMON, None, None, BO, ThreadChoice(None, "new", False)),
    ],
)
def test_choose_ticket(
    sender: str,
    by_token: TicketRef | None,
    by_headers: TicketRef | None,
    kind: MailKind,
    expected: ThreadChoice,
) -> None:
    got = choose_ticket(
        sender, by_token=by_token, by_headers=by_headers, technicians=TECHS, kind=kind
    )
    assert got == expected


def test_choose_ticket_technician_addresses_compare_case_insensitively() -> None:
    got = choose_ticket(
        "alice@example.com",
        by_token=B,
        by_headers=None,
        technicians=frozenset({"Alice@Example.COM"}),
        kind=MailKind.TECHNICIAN,
    )
    assert got == ThreadChoice(2, "token", False)
