"""Reading a customer's answer to the satisfaction survey (PRODUCT.md section 5a).

This module owns what counts as a rating, a comment and an opt-out: `read_answer` turns a
reply's subject and new text (the quoted history already gone) into a `SurveyAnswer`, or
None when the mail is no survey answer at all (then it is an ordinary reply). Pure: no I/O.

The forms understood, first match wins:

1. The subject our mailto links write: `Rating 4 [IW-7K3M9QX2PD]` (any reply prefix, the
   token anywhere, `Rating: 4`, `Rating 4/5`); `No more surveys [IW-...]` is an opt-out.
   The body, if the customer wrote one, is the comment.
2. A number at the start of the new text (after a greeting line such as "Hi,"): `5`,
   `4/5`, `4 out of 5`, `5 stars`, `1 - still broken` (rating 1, comment "still broken").
   The number must end the line or be followed by a separator (`-`, `:`, `,`, `.`, `!`,
   `)`) or a scale, so "2 printers still jam" and "3.5" are no rating. A number outside
   1-5 (`0`, `10/10`, `2026-12-01`) is no rating, and the text is a plain reply.
3. A line of stars: `★★★★☆` is 4.
4. A rating word (`RATING_WORDS`), only in a short reply: the word in the first line of at
   most `SHORT_LINE_WORDS` words, the whole text at most `SHORT_TEXT_WORDS` words, and no
   negation ("not good" is left to a person). A long complaint that contains "great" is
   no 5.

An opt-out is the subject of our opt-out link, or a phrase of `OPT_OUT_PHRASES` ("no more
surveys", "unsubscribe", "keine Umfragen", "plus de sondages", "no más encuestas", ...) in a
text of at most `OPT_OUT_TEXT_WORDS` words, alone or with a rating. (Not a phrase in the
subject: a reply's subject repeats the ticket's, which may be "Unsubscribe me from ...".)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

RATINGS = range(1, 6)
SHORT_LINE_WORDS = 6
SHORT_TEXT_WORDS = 20
OPT_OUT_TEXT_WORDS = 40

# The documented table of rating words (en, de, fr, es), matched as whole words,
# case-insensitively, longest phrase first ("very good" before "good").
RATING_WORDS: dict[str, int] = {
    # English
    "excellent": 5, "great": 5, "perfect": 5, "awesome": 5, "amazing": 5, "fantastic": 5,
    "outstanding": 5, "very good": 5, "superb": 5, "brilliant": 5,
    "good": 4, "nice": 4,
    "ok": 3, "okay": 3, "fine": 3, "average": 3, "so-so": 3,
    "bad": 2, "poor": 2,
    "very bad": 1, "terrible": 1, "awful": 1, "horrible": 1, "useless": 1, "worst": 1,
    # Deutsch
    "sehr gut": 5, "super": 5, "ausgezeichnet": 5, "hervorragend": 5, "perfekt": 5,
    "toll": 5, "gut": 4, "mittel": 3, "geht so": 3, "schlecht": 2,
    "sehr schlecht": 1, "furchtbar": 1, "schrecklich": 1, "katastrophal": 1,
    # Français
    "très bien": 5, "parfait": 5, "génial": 5, "bien": 4, "bon": 4, "moyen": 3,
    "mauvais": 2, "très mauvais": 1, "nul": 1,
    # Español
    "excelente": 5, "muy bien": 5, "muy bueno": 5, "perfecto": 5, "genial": 5,
    "bueno": 4, "regular": 3, "malo": 2, "mal": 2, "muy malo": 1, "muy mal": 1,
    "pésimo": 1,
}  # fmt: skip

OPT_OUT_PHRASES: tuple[str, ...] = (
    # English
    "no more surveys", "no more survey", "unsubscribe", "stop sending surveys",
    "stop sending me surveys", "stop the surveys", "no surveys", "no survey",
    "don't send surveys", "do not send surveys", "don't send me surveys",
    "do not send me surveys", "opt out", "opt-out",
    # Deutsch
    "keine umfragen", "keine umfrage", "keine weiteren umfragen", "abmelden", "abbestellen",
    # Français
    "plus de sondages", "plus de sondage", "pas de sondages", "pas de sondage",
    "désabonner", "désinscrire", "désabonnement",
    # Español
    "no más encuestas", "no mas encuestas", "no quiero encuestas", "darme de baja",
    "dar de baja", "cancelar suscripción",
)  # fmt: skip

# The subjects our survey's mailto links carry (see `rating_subject`, `OPT_OUT_SUBJECT`).
RATING_SUBJECT = "Rating {rating}"
OPT_OUT_SUBJECT = "No more surveys"

_NEGATIONS = frozenset({"not", "no", "never", "isn't", "wasn't", "nicht", "kein", "keine",
                        "nie", "pas", "ne", "jamais", "nunca", "ni"})
# Words that add nothing to a word rating ("Great, thanks!" has no comment).
_FILLERS = frozenset({"thanks", "thank", "you", "very", "much", "many", "really", "so",
                      "danke", "vielen", "dank", "merci", "beaucoup", "gracias", "muchas",
                      "the", "was", "it", "service", "support", "all", "and"})

_GREETING = re.compile(
    r"(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hallo|moin|servus"
    r"|guten (?:tag|morgen|abend)|liebe[rs]?|sehr geehrte[rs]?|bonjour|bonsoir|salut"
    r"|cher|chère|madame|monsieur|hola|buenos días|buenas(?: tardes| noches)?"
    r"|estimad[oa]s?)\b[^.!?\d]{0,40}[,!:]?",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(?:--\s*|sent from my .*|get outlook for .*|von meinem .* gesendet"
    r"|envoyé de mon .*|enviado desde mi .*)$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"(?:thanks|thank you|many thanks|regards|best|kind regards|best regards|cheers|br"
    r"|danke|vielen dank|gruß|grüße|viele grüße|beste grüße|mfg|lg|merci|cordialement"
    r"|bien à vous|saludos|un saludo|gracias|atentamente)\b[^\n]{0,30}",
    re.IGNORECASE,
)
# "4/5", "4 out of 5", "4 von 5", "5 stars", "5 Sterne", "3 étoiles"...
_SCALE = (r"(?:\s*(?:/|out of|von|sur|de)\s*(?:5|five|fünf|cinq|cinco)\b"
          r"|\s*(?:stars?|sterne?|étoiles?|estrellas?|points?|punkte?)\b)")
_LEADING_NUMBER = re.compile(rf"(\d{{1,3}})(?![\d])({_SCALE})?", re.IGNORECASE)
# After a bare number: the line ends, or a separator that is not part of a number
# ("3.5", "1,5", "1-2", "5:30" are no ratings).
_SEPARATOR = re.compile(r"\s*(?:[-–—:,;.!)](?!\d)|$)")
_STARS = re.compile(r"[★⭐☆✩\s]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SUBJECT_RATING = re.compile(r"(?:rating|bewertung|note|valoración)\s*[:#]?\s*(\d{1,3})"
                             r"(?:\s*/\s*5)?", re.IGNORECASE)


@dataclass(frozen=True)
class SurveyAnswer:
    """A reply read as a survey answer: a rating 1-5 (or None), its comment, an opt-out."""

    rating: int | None = None
    comment: str = ""
    opt_out: bool = False


def read_answer(subject: str, text: str, token_prefix: str = "IW") -> SurveyAnswer | None:
    """The survey answer in a reply (see the module doc), or None when there is none."""
    topic = _subject_topic(subject, token_prefix)
    lines = _own_lines(text)
    opt_out = topic.casefold() == OPT_OUT_SUBJECT.casefold() or (
        _word_count(lines) <= OPT_OUT_TEXT_WORDS and _is_opt_out(" ".join(lines)))
    rating, comment = _subject_rating(topic, lines)
    if rating is None:
        rating, comment = _text_rating(lines)
    if rating is None and not opt_out:
        return None
    return SurveyAnswer(rating=rating, comment=comment if rating is not None else "",
                        opt_out=opt_out)


def rating_subject(rating: int, token: str) -> str:
    """The subject of the mailto link for `rating`: `Rating 4 [IW-7K3M9QX2PD]`."""
    if rating not in RATINGS:
        raise ValueError(f"a rating is 1 to 5, not {rating!r}")
    return f"{RATING_SUBJECT.format(rating=rating)} [{token}]"


def opt_out_subject(token: str) -> str:
    return f"{OPT_OUT_SUBJECT} [{token}]"


def comment_of(text: str) -> str:
    """A plain reply's own text as a rating's comment (greeting, signature and sign-off
    dropped): the answer to "what went wrong?"."""
    return _comment(_own_lines(text))


# -- the subject -----------------------------------------------------------------------------


def _subject_topic(subject: str, token_prefix: str) -> str:
    text = unicodedata.normalize("NFKC", subject)
    token = re.compile(rf"[\[(【]?\s*{re.escape(token_prefix)}\s*[-‐‑‒–—−]\s*(?:[0-9A-Za-z]\s*)"
                       r"{10}[\])】]?", re.IGNORECASE)
    text = token.sub(" ", text)
    # Reply prefixes may stand before or after the token ("[IW-..] Re: Rating 4").
    text = re.sub(r"^(?:\s*(?:re|aw|sv|antw|wg|fw|fwd|tr|rv|res)\s*(?:\[\d+\])?\s*[:：])+", "",
                  text.strip(), flags=re.IGNORECASE)
    return " ".join(text.split())


def _subject_rating(topic: str, lines: list[str]) -> tuple[int | None, str]:
    match = _SUBJECT_RATING.fullmatch(topic)
    if match is None or int(match.group(1)) not in RATINGS:
        return None, ""
    return int(match.group(1)), _comment(lines)


# -- the text --------------------------------------------------------------------------------


def _own_lines(text: str) -> list[str]:
    """The lines the customer wrote: stripped, without the signature and anything below
    it, without leading blank and greeting lines; blank lines inside kept as ''."""
    lines: list[str] = []
    for raw in unicodedata.normalize("NFKC", text).replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if _SIGNATURE.fullmatch(line):
            break
        if not lines and (not line or _is_greeting(line)):
            continue
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _is_greeting(line: str) -> bool:
    return len(line.split()) <= SHORT_LINE_WORDS and _GREETING.fullmatch(line) is not None


def _text_rating(lines: list[str]) -> tuple[int | None, str]:
    if not lines:
        return None, ""
    first = lines[0]
    number = _LEADING_NUMBER.match(first)
    if number is not None:
        rest = first[number.end():]
        separator = _SEPARATOR.match(rest)
        if not number.group(2) and separator is None:
            return None, ""  # "2 printers still jam": a number, not a rating
        value = int(number.group(1))
        if value not in RATINGS:
            return None, ""
        rest = rest[separator.end():] if separator else rest
        return value, _comment([rest.lstrip(" -–—:,;.!)"), *lines[1:]])
    if _STARS.fullmatch(first) and ("★" in first or "⭐" in first):
        stars = first.count("★") + first.count("⭐")
        return (stars, _comment(lines[1:])) if stars in RATINGS else (None, "")
    return _word_rating(lines)


def _word_rating(lines: list[str]) -> tuple[int | None, str]:
    first_words = _words(lines[0])
    if len(first_words) > SHORT_LINE_WORDS or _word_count(lines) > SHORT_TEXT_WORDS:
        return None, ""
    if _NEGATIONS & set(first_words):
        return None, ""
    folded = " ".join(first_words)
    found: dict[int, str] = {}
    for phrase in sorted(RATING_WORDS, key=len, reverse=True):
        whole = _whole_words(phrase)
        if whole.search(folded):
            found.setdefault(RATING_WORDS[phrase], phrase)
            folded = whole.sub(" ", folded)  # "very good" is not also "good"
    if len(found) != 1:
        return None, ""  # none, or "good but slow, bad support": a person reads it
    rating, phrase = next(iter(found.items()))
    comment = _comment(lines)
    rest = set(_words(comment)) - _FILLERS - set(phrase.split())
    return rating, (comment if rest else "")


def _comment(lines: list[str]) -> str:
    """The comment: the lines without a closing sign-off and the name below it."""
    kept = list(lines)
    for index, line in enumerate(kept):
        if index > 0 and _SIGN_OFF.fullmatch(line.rstrip(",.!")):
            kept = kept[:index]
            break
    # A last paragraph of one to three capitalised words is a name ("Jane Doe").
    if len(kept) >= 2 and not kept[-2]:
        words = kept[-1].split()
        if 0 < len(words) <= 3 and all(w[:1].isupper() and w.strip(".").isalpha()
                                       for w in words):
            kept = kept[:-1]
    return "\n".join(kept).strip()


def _words(text: str) -> list[str]:
    return [w.casefold().replace("’", "'") for w in _WORD.findall(text)]


def _word_count(lines: list[str]) -> int:
    return sum(len(_words(line)) + len(re.findall(r"\d+", line)) for line in lines)


def _is_opt_out(text: str) -> bool:
    folded = " ".join(_words(text))
    return any(_whole_words(phrase).search(folded) for phrase in OPT_OUT_PHRASES)


def _whole_words(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")
