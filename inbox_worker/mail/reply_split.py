"""The new text of a reply: the text above the first quoted-history header.

Where a quote starts is mail-parser-reply's knowledge: its header patterns ("On ... wrote:",
"Von: ... / Gesendet: ...", "-----Original Message-----", in each language we serve) decide.
How they are applied is ours. mail-parser-reply runs its one big pattern at every position
of the text, every language at once: about 0.3 us per character and language, several
milliseconds per mail, most of a worker's parse time. Every header those patterns can match
has a *candidate* line near its start: one that ends in ':', starts with a short label and
':', or names the "Original Message" separator. So the pattern is tried only at the start of
each candidate line and of the few lines before it (an "On <date>\\n<name> wrote:" header
starts a line or more above its colon), in text order: the first match is the same first
header the library's own scan finds, at a small fraction of the cost, and a mail with no
candidate line (most new mails) costs one cheap scan.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import OUTLOOK_MAIL_SEPARATOR
from mailparser_reply.parser import EmailMessage

from inbox_worker.mail.quote_headers import EXTRA_HEADER_PATTERNS, SEPARATOR_WORDS

# Each language costs time on every candidate line: only the ones we serve. Polish is ours
# (see `quote_headers`): the library's Polish block matches any single "Do:" line.
REPLY_LANGUAGES = ("en", "de", "fr", "es", "nl", "it", "sv", "da", "cs", "ja", "ko", "zh")

# The longest header of those languages spans this many line breaks before its candidate
# line: German "Am <date>\\n<name>\\nschrieb\\n<address>:" (checked by the tests).
LINES_BEFORE_CANDIDATE = 4

# The text is tidied as mail-parser-reply tidies it (lines stripped), with runs of spaces
# and blank lines shortened (its patterns backtrack on long runs), and only the top of it
# is searched: the new text of a reply comes first, and a header further down than this
# is kept as text rather than searched for.
MAX_SEARCHED_CHARS = 16_000

LIBRARY_HEADER_PATTERN: re.Pattern[str] = EmailMessage(
    text="", languages=list(REPLY_LANGUAGES)
).HEADER_REGEX
HEADER_PATTERN = re.compile(
    "|".join([LIBRARY_HEADER_PATTERN.pattern, *(f"(?:{p})" for p in EXTRA_HEADER_PATTERNS)]),
    LIBRARY_HEADER_PATTERN.flags,
)

# A candidate line ends in ':', or starts with a label and ':', or names the separator.
# Both of the first kinds hold a ':', so only lines with one are looked at.
_LABEL = re.compile(r"(?:> ?)*[* ]*(?:\w+ ?){0,2}[:：]")
_COLON = re.compile("[:：]")
_SEPARATOR = re.compile(rf"original message|{SEPARATOR_WORDS}", re.IGNORECASE)
# Outlook puts a line of underscores above its "From:" block; mail-parser-reply removes it.
_OUTLOOK_SEPARATOR = re.compile(f"([^\n]){OUTLOOK_MAIL_SEPARATOR}")
# A separator line the patterns leave just above the header they find: Outlook's line of
# underscores right below the text (tidy removes it only after a blank line, as the library
# does), or a quoted "> -----Original Message-----" above a quoted "> From:" block.
_SEPARATOR_LINE = re.compile(r"(?:> ?)*(?:[_-]{32,}|-{5,} ?Original Message ?-{5,})", re.IGNORECASE)
_BLANK_RUN = re.compile(r"\n{3,}")
# A line of the sender's own in tidied text: one that is neither blank nor quoted.
_OWN_LINE = re.compile(r"^[^>\n]", re.MULTILINE)
_EMPTY_QUOTE_LINES = re.compile(r"\A(?:[> ]*\n)+")
_SPACE_RUN = re.compile(r"[ \t\xa0\u200b]{9,}")


def tidy(text: str) -> str:
    """Lines stripped, long runs of spaces and of blank lines shortened, Outlook's
    separator line removed: the text the header patterns are applied to."""
    tidied = "\n".join(line.strip() for line in text.split("\n"))
    # Each substitution only where its pattern can match: a regex scan of a whole body
    # costs more than these substring tests.
    if any(c in tidied for c in ("         ", "\t", "\xa0", "\u200b")):
        tidied = _SPACE_RUN.sub("        ", tidied)
    if "\n\n\n" in tidied:
        tidied = _BLANK_RUN.sub("\n\n", tidied)
    if "_" * 32 in tidied or "-" * 32 in tidied:
        tidied = _OUTLOOK_SEPARATOR.sub("\\1\n", tidied)
    return tidied


def first_header(
    text: str, pattern: re.Pattern[str] = HEADER_PATTERN
) -> tuple[int, int] | None:
    """Where the first quoted-history header of a tidied ``text`` starts and ends, or None."""
    tried: set[int] = set()
    scanned_to = 0
    for line_start in _candidate_line_starts(text):
        # The starts of the lines just above this one, oldest first, then its own.
        starts = _previous_line_starts(text, line_start, scanned_to, LINES_BEFORE_CANDIDATE)
        for start in (*starts, line_start):
            # A "From:" block may begin at the line break before its first line ("\n> ").
            for position in (start - 1, start):
                if position < 0 or position in tried:
                    continue
                tried.add(position)
                found = pattern.match(text, position)
                if found:
                    return position, found.end()
        scanned_to = line_start
    return None


def _candidate_line_starts(text: str) -> list[int]:
    """Starts of the candidate lines of ``text``, in order."""
    starts: set[int] = set()
    colon = _COLON.search(text)
    while colon is not None:
        start = text.rfind("\n", 0, colon.start()) + 1
        end = text.find("\n", colon.start())
        end = len(text) if end == -1 else end
        if text[end - 1] in ":：" or _LABEL.match(text, start):
            starts.add(start)
        colon = _COLON.search(text, end)  # the next line's first colon
    for found in _SEPARATOR.finditer(text):
        starts.add(text.rfind("\n", 0, found.start()) + 1)
    return sorted(starts)


def _previous_line_starts(text: str, line_start: int, floor: int, count: int) -> list[int]:
    # Lines above ``floor`` (the previous candidate line) were tried with that candidate.
    starts: list[int] = []
    position = line_start
    while len(starts) < count and position > 0:
        previous = text.rfind("\n", 0, position - 1) + 1
        if previous < floor:
            break
        starts.append(previous)
        position = previous
    return starts[::-1]


def reply_text(full_text: str) -> str:
    """What the sender wrote, tidied: the text above the first quoted-history header (and a
    separator line just above it), and the lines they wrote between the quoted lines below
    it (an inline or bottom-posted reply), with the quoted lines between them kept as
    context. The whole text if there is no quoted history, or nothing written outside it."""
    sample = full_text[:MAX_SEARCHED_CHARS]
    if len(full_text) > MAX_SEARCHED_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole lines only
    tidied = tidy(sample)
    header = first_header(tidied)
    if header is None:
        return _without_trailing_quote(full_text)
    start, end = header
    above = tidied[:start].strip()
    before, _, last = above.rpartition("\n")
    if _SEPARATOR_LINE.fullmatch(last):
        above = before.rstrip()
    if not _OWN_LINE.search(above):  # only quoted lines: the start of the history
        above = ""
    whole = tidied if len(sample) == len(full_text) else tidy(full_text)
    below = _answers_below(whole, end, keep_leading_quote=bool(above))
    return "\n\n".join(part for part in (above, below) if part) or full_text


def _answers_below(text: str, header_end: int, *, keep_leading_quote: bool) -> str:
    """The sender's lines among the '>'-quoted history that follows a header ending at
    ``header_end``: from their first line (or from the quote, as context for the text above
    the header) to their last, up to a further unquoted header. Empty when the history is
    not '>'-quoted (Outlook's is not: nothing below its header can be told apart from it)."""
    # mail-parser-reply's Outlook block takes one line more than its labels: a line with no
    # colon at the end of a header is the first line below it, maybe an answer.
    last_break = text.rfind("\n", 0, header_end - 1)
    if last_break != -1 and ":" not in text[last_break:header_end]:
        header_end = last_break
    line_end = text.find("\n", header_end)
    rest = text[line_end + 1 :].lstrip("\n") if line_end != -1 else ""
    if not rest.startswith(">"):
        return ""
    own = _OWN_LINE.search(rest)
    if own is None:
        return ""
    answers = rest[own.start() :]
    further = first_header(answers)
    if further is not None:
        line_start = further[0] + (answers[further[0]] == "\n")
        if not answers.startswith(">", line_start):  # history below the answers
            answers = answers[:line_start]
    answers = _without_trailing_quote(answers).strip()
    if not answers or answers.startswith(">"):
        return ""
    if not keep_leading_quote:
        return answers
    return _EMPTY_QUOTE_LINES.sub("", f"{rest[: own.start()]}{answers}").strip()


def _without_trailing_quote(text: str) -> str:
    """`text` without a block of '>'-quoted lines at its end, when the sender wrote above
    it: a reply quoting the mail below it with no attribution line (some clients, and
    people who delete the line). Quoted lines between the sender's own stay."""
    lines = text.rstrip().split("\n")
    end = len(lines)
    while end > 0 and (lines[end - 1].lstrip().startswith(">") or not lines[end - 1].strip()):
        end -= 1
    if end == len(lines) or not any(line.strip() for line in lines[:end]):
        return text
    return "\n".join(lines[:end]).rstrip()
