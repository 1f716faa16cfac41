"""`MaildirSource.fetch` in bounded windows: every mail once, oldest first, across windows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inbox_worker.mail import maildir
from inbox_worker.mail.maildir import MaildirSource


def _deliver(root: Path, count: int) -> list[str]:
    names = []
    for number in range(count):
        sub = "new" if number % 2 else "cur"
        name = f"{1000 + number}.mail{':2,S' if sub == 'cur' else ''}"
        file = root / sub / name
        file.write_bytes(f"Subject: {number}\r\n\r\nbody\r\n".encode())
        os.utime(file, (1_700_000_000 + number, 1_700_000_000 + number))
        names.append(f"maildir:{name.split(':')[0]}")
    return names


@pytest.mark.parametrize("window", [1, 3, 7, 100])
def test_every_mail_comes_once_oldest_first_in_windows(tmp_path: Path, window: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maildir, "FETCH_WINDOW", window)
    source = MaildirSource(tmp_path / "mail")
    expected = _deliver(tmp_path / "mail", 10)
    assert [mail.key for mail in source.fetch()] == expected


def test_mails_marked_done_between_windows_skip_nothing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maildir, "FETCH_WINDOW", 3)
    source = MaildirSource(tmp_path / "mail")
    expected = _deliver(tmp_path / "mail", 10)
    seen = []
    for mail in source.fetch():
        seen.append(mail.key)
        source.mark_done(mail)  # as the worker does, batch by batch, while the pass goes on
    assert seen == expected
    assert list(source.fetch()) == []
    assert len(list((tmp_path / "mail" / ".Processed" / "cur").iterdir())) == 10


def test_a_window_holds_at_most_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maildir, "FETCH_WINDOW", 4)
    picked: list[int] = []
    nsmallest = maildir.heapq.nsmallest

    def counting(n, iterable):  # type: ignore[no-untyped-def]
        result = nsmallest(n, iterable)
        picked.append(len(result))
        return result

    monkeypatch.setattr(maildir.heapq, "nsmallest", counting)
    source = MaildirSource(tmp_path / "mail")
    _deliver(tmp_path / "mail", 10)
    assert len(list(source.fetch())) == 10
    assert picked == [4, 4, 2]


def test_moving_the_mails_of_a_pass_lists_no_folder(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A listing per moved mail made a first sync quadratic (200,000 mails: 20 a second)."""
    monkeypatch.setattr(maildir, "FETCH_WINDOW", 4)
    source = MaildirSource(tmp_path / "mail")
    _deliver(tmp_path / "mail", 10)
    listed: list[str] = []
    real_glob = Path.glob
    monkeypatch.setattr(Path, "glob", lambda self, pattern: listed.append(pattern)
                        or real_glob(self, pattern))
    batch = []
    for mail in source.fetch():
        batch.append(mail)
        if len(batch) == 3:  # batches that straddle windows, as a poll's do
            source.mark_done_batch(batch)
            batch = []
    source.mark_done_batch(batch)
    assert listed == []
    assert not any(any((tmp_path / "mail" / sub).iterdir()) for sub in ("new", "cur"))
    assert len(list((tmp_path / "mail" / ".Processed" / "cur").iterdir())) == 10


def test_a_mail_renamed_since_its_fetch_is_still_moved(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "mail")
    _deliver(tmp_path / "mail", 2)
    first, second = list(source.fetch())
    new_file = tmp_path / "mail" / "new" / "1001.mail"
    new_file.rename(tmp_path / "mail" / "cur" / "1001.mail:2,S")  # a client read it
    source.mark_done_batch([first, second])
    assert sorted(p.name for p in (tmp_path / "mail" / ".Processed" / "cur").iterdir()) == [
        "1000.mail:2,S", "1001.mail:2,S"]
