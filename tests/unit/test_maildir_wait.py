"""`MaildirSource.wait_for_mail`: new mail, the time running out, a stop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from inbox_worker.mail.maildir import MaildirSource


def test_a_delivery_after_the_fetch_ends_the_wait(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "mail")
    assert list(source.fetch()) == []
    assert source.wait_for_mail(0.3) is False
    (tmp_path / "mail" / "tmp" / "1.eml").write_bytes(b"Subject: x\r\n\r\nhi\r\n")
    threading.Timer(0.2, lambda: (tmp_path / "mail" / "tmp" / "1.eml").rename(
        tmp_path / "mail" / "new" / "1.eml")).start()
    assert source.wait_for_mail(10) is True
    assert [m.key for m in source.fetch()] == ["maildir:1.eml"]


def test_a_stop_ends_the_wait(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "mail")
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert source.wait_for_mail(20, stop) is False
    assert time.monotonic() - started < 2
