"""Every real-world mail of the shared corpus parses or is refused; never anything else.

The corpus lives outside the repository (/work/shared/corpus, see its README.md) and is
read in place, never copied. Its absence is a failure, not a skip: these are the tests that
stand for "hostile mail from the outside".
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from inbox_worker.domain.classify import classify
from inbox_worker.domain.model import MailKind
from inbox_worker.errors import UnparseableMail
from inbox_worker.mail.inbound import parse_mail

CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"
NOT_MAIL = {"README.md", "MANIFEST.tsv"}
FILES = sorted(
    path.relative_to(CORPUS).as_posix()
    for path in (CORPUS.rglob("*") if CORPUS.is_dir() else [])
    if path.is_file() and path.name not in NOT_MAIL
)
SURROGATE = re.compile("[\ud800-\udfff]")


def test_corpus_is_present() -> None:
    assert CORPUS.is_dir(), f"the shared mail corpus is missing: {CORPUS}"
    assert len(FILES) > 200


def read(name: str) -> bytes:
    path = CORPUS / name
    assert path.is_file(), f"corpus file missing: {path}"
    return path.read_bytes()


def assert_readable(text: str) -> None:
    assert isinstance(text, str)
    assert not SURROGATE.search(text), "lone surrogate"
    if len(text) >= 8:
        assert text.count("\ufffd") / len(text) < 0.2, "mostly replacement characters"


@pytest.mark.parametrize("name", FILES or ["<corpus missing>"])
def test_parses_or_is_refused(name: str) -> None:
    raw = read(name)
    started = time.perf_counter()
    try:
        mail = parse_mail(raw)
    except UnparseableMail as refused:
        assert refused.reason.strip()
    else:
        assert_readable(mail.subject)
        assert "\r" not in mail.subject and "\n" not in mail.subject
        assert_readable(mail.text)
        assert_readable(mail.full_text)
        # Words in the body never vanish from `text`, the part a ticket shows (issue 17).
        if re.search(r"\w{2,}", mail.full_text):
            assert mail.text.strip(), "the body had words; text is empty"
        assert_readable(mail.from_name)
        assert all(
            not SURROGATE.search(value) for values in mail.headers.values() for value in values
        )
        assert all("\n" not in value for values in mail.headers.values() for value in values)
        assert all("/" not in a.filename and "\\" not in a.filename for a in mail.attachments)
    assert time.perf_counter() - started < 5.0


REFUSED = {
    "mail-parser/mail_outlook_1": "Outlook .msg",
    "cpython/msg_19.txt": "no header section",  # a digest body without headers
    "zammad/mail068.box": "no header section",  # starts with "---- Original email message ----"
}


@pytest.mark.parametrize(("name", "reason"), REFUSED.items())
def test_refused_files(name: str, reason: str) -> None:
    with pytest.raises(UnparseableMail, match=reason):
        parse_mail(read(name))


# Subjects in iso-2022-jp, gb2312 (really GBK), raw Shift_JIS and RFC 2047 oddities, checked
# by eye against what the sender meant.
SUBJECTS = {
    "zammad/mail015.box": "绩效管理,究竟谁错了",
    "zammad/mail016.box": "【 直通美国排名第49大学 成功后付费 】",
    "zammad/mail031.box": "內應力產生与注塑工艺条件之间的关系；",
    "zammad/mail091.box": "メルマガ解除",
    "zammad/mail093.box": "ツール",
    "mail-parser/mail_test_12": "代开各地增值税发票",
    "sisimai-set-of-emails/lhost-domino-02.eml": (
        "DELIVERY FAILURE: ユーザー Neko (kijitora@example.co.jp) は"
        " Domino ディレクトリには見つかりません。"
    ),
    "zammad/mail050.box": "ABC / 123 / Wetterau West / ABC",
    "zammad/mail077.box": "Personaländerung",
    "zammad/mail049.box": "Kinderschwimmbrille ABC Little Twist: Schnell angelegt, keine "
    "verhedderten Haare (Pressemitteilung)",  # folded with CRLF + space
    "redmine/gmail-iso8859-2.eml": "Nikad više",
}


@pytest.mark.parametrize(("name", "subject"), SUBJECTS.items())
def test_decoded_subjects(name: str, subject: str) -> None:
    assert parse_mail(read(name)).subject == subject


KINDS = {
    # bounces from about a dozen MTAs
    "sisimai-set-of-emails/lhost-postfix-01.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/lhost-exim-01.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/lhost-qmail-01.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/lhost-sendmail-01.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/lhost-gmail-03.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/lhost-exchange2007-02.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/lhost-office365-03.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/lhost-amazonses-01.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/lhost-domino-02.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/lhost-notes-01.eml": MailKind.BOUNCE,
    "sisimai-set-of-emails/rfc3464-01.eml": MailKind.BOUNCE,
    "zammad/mail033-undelivered-mail-returned-to-sender.box": MailKind.BOUNCE,
    "zammad/mail053.box": MailKind.BOUNCE,  # From: MAILER-DAEMON (Mail Delivery System)
    "zammad/mail055.box": MailKind.BOUNCE,
    "zammad/mail078.box": MailKind.BOUNCE,  # a delay notification
    "zammad/mail092.box": MailKind.BOUNCE,
    # RFC 3834 and Outlook auto-replies
    "sisimai-set-of-emails/rfc3834-01.eml": MailKind.AUTO_REPLY,
    "sisimai-set-of-emails/rfc3834-03.eml": MailKind.AUTO_REPLY,
    "sisimai-set-of-emails/rfc3834-04.eml": MailKind.AUTO_REPLY,
    "sisimai-set-of-emails/rfc3834-06.eml": MailKind.AUTO_REPLY,
    "zammad/mail089.box": MailKind.AUTO_REPLY,  # ServiceNow, Auto-Submitted: auto-generated
    # list traffic
    "mail-parser/mail_test_13": MailKind.LIST,
    # people
    "sisimai-set-of-emails/is-not-bounce-02.eml": MailKind.CUSTOMER,
    "zammad/mail004.box": MailKind.CUSTOMER,
    "zammad/mail065.box": MailKind.CUSTOMER,
    "zammad/mail119.box": MailKind.CUSTOMER,
}


@pytest.mark.parametrize(("name", "kind"), KINDS.items())
def test_corpus_kinds(name: str, kind: MailKind) -> None:
    mail = parse_mail(read(name))
    assert (
        classify(
            mail, own_addresses={"support@example.com"}, own_message_id_domain="tickets.example.com"
        )
        == kind
    )


@pytest.mark.parametrize(
    ("name", "message_id", "subject"),
    [
        (
            "zammad/mail033-undelivered-mail-returned-to-sender.box",
            "20150830145601.30.608881@edenhofer.zammad.com",
            "test [Ticket#10010]",
        ),
        (
            "zammad/mail053.box",
            "20170227103514.188.920664@help.example.com",
            "RE: Feedback after Uninstallation [Ticket#62188]",
        ),
        (
            "sisimai-set-of-emails/lhost-gmail-03.eml",
            "CBA48452-0888-4AAC-AA4E-0F54D382117F@gmail.com",
            "test for bounce 2",
        ),
    ],
)
def test_bounces_name_the_original(name: str, message_id: str, subject: str) -> None:
    mail = parse_mail(read(name))
    assert message_id in mail.embedded_message_ids
    assert subject in mail.embedded_subjects
