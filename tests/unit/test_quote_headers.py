"""Quote headers as each client writes them, in 17 languages: the new text is all that stays.

The samples (`quote_header_samples`) were gathered for the measurement of quotequail and
mail-parser-reply (issue 17): each marks where its shape comes from (seen in real mail, a
library's patterns, or recalled). 60 of the 207 split with mail-parser-reply's eight
languages alone; all split with `quote_headers` beside its twelve.
"""

from __future__ import annotations

import pytest

from inbox_worker.mail.html_text import html_to_text
from inbox_worker.mail.reply_split import reply_text
from tests.unit import quote_header_samples as samples


def _id(sample: dict[str, str]) -> str:
    return f"{sample['lang']}-{sample['client']}"


@pytest.mark.parametrize("sample", samples.PLAIN_HEADERS, ids=_id)
def test_each_clients_header_leaves_only_the_new_text(sample: dict[str, str]) -> None:
    assert reply_text(samples.build_reply(sample)) == samples.NEW_TEXT


@pytest.mark.parametrize("sample", samples.HTML_QUOTES, ids=lambda s: s["client"])
def test_each_clients_html_quote_leaves_only_the_new_text(sample: dict[str, str]) -> None:
    text = reply_text(html_to_text(sample["html"]))
    # Mobile clients' "Sent from my Galaxy" is the sender's own line, and stays.
    assert text.split("\n\n")[0] == samples.HTML_NEW_TEXT
    assert "Which model is it?" not in text


@pytest.mark.parametrize(
    "line",
    [
        "Do: restart the printer",  # Polish "Do:" (To:) alone, as the library would cut
        "Data: 3 GB\nDo: back it up",
        "Od 3 dni drukarka nie działa:",
        "At 10:30 I called Anna <anna@example.test>:",
        "The ticket 2025 says: skrev",
        "差出人不明のメールです：",
        "---- see the log below ----",
    ],
)
def test_near_misses_in_other_languages_stay_text(line: str) -> None:
    body = f"It still fails.\n{line}\nPlease help.\n"
    assert reply_text(body) == body
