"""Bytes and header values from the outside turned into clean text.

This module owns the charset policy of inbound mail: which codec a declared charset really
means (``gb2312`` labels are GBK in practice, ``iso-8859-1`` is windows-1252, ...), what to
try when the declared one fails, and the lossy last resort, so that decoding never fails
and never yields lone surrogates. It also decodes RFC 2047 encoded-words and folds header
values onto one line, which is what keeps CR/LF out of anything we later write into a
header of our own.
"""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Iterable

from mailparser.utils import decode_base64_payload

# Labels mail clients write, mapped to the codec that decodes what they really send.
_ALIASES = {
    **dict.fromkeys(
        ("gb2312", "gb_2312", "gb_2312-80", "csgb2312", "iso-gb2312", "euc-cn", "euc_cn",
         "gbk", "x-gbk", "cp936", "windows-936", "chinese"),
        "gb18030",
    ),
    **dict.fromkeys(
        ("ks_c_5601-1987", "ks_c_5601", "ksc5601", "ksc_5601", "euc-kr", "euc_kr", "korean",
         "iso-ir-149", "windows-949"),
        "cp949",
    ),
    **dict.fromkeys(
        ("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j"),
        "cp932",
    ),
    **dict.fromkeys(("big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5"), "big5hkscs"),
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1"), "cp1252"),
    **dict.fromkeys(("iso-8859-9", "latin5"), "cp1254"),
    **dict.fromkeys(("tis-620", "iso-8859-11", "windows-874"), "cp874"),
    **dict.fromkeys(("unicode-1-1-utf-7", "x-unicode-2-0-utf-7", "utf7"), "utf-7"),
    "iso-8859-8-i": "iso-8859-8",
    "iso-2022-jp": "iso2022_jp_ext",
}  # fmt: skip

# What else to try when bytes do not fit the declared codec: the same script's other
# encodings (Japanese mail labelled ISO-2022-JP is often Shift_JIS on the wire).
_SIBLINGS = {
    "iso2022_jp_ext": ("iso2022_jp_2", "cp932", "euc_jis_2004"),
    "cp932": ("euc_jis_2004",),
    "euc_jp": ("cp932",),
    "gb18030": ("big5hkscs",),
}

# Codecs a sender must not choose: punycode decodes in quadratic time, the escape codecs
# turn text into arbitrary code points.
_REFUSED = frozenset({"punycode", "unicode_escape", "raw_unicode_escape"})
_UTF8 = "utf-8"

_SURROGATE = re.compile("[\ud800-\udfff]")
# Encoded text may contain spaces: not allowed by RFC 2047, but written by enough mailers
# that every mail client accepts it.
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?]*)\?=")
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/=\s]*")
_FOLD = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def scrub(text: str) -> str:
    """The text with every lone surrogate replaced by U+FFFD (storable, printable)."""
    # isascii() reads a flag of the string (no scan): most texts and headers are ASCII.
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub("\ufffd", text)


def one_line(text: str) -> str:
    """Whitespace and control characters (CR, LF, NUL, ...) collapsed to single spaces."""
    return scrub(_FOLD.sub(" ", text)).strip()


def codec_for(label: str | None) -> str | None:
    """The Python codec we decode a charset label with, or None if unknown or refused."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if info.name in _REFUSED or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_bytes(data: bytes, label: str | None, hints: Iterable[str] = ()) -> tuple[str, str]:
    """Decode `data` declared as `label`; return the text and the codec that was used.

    Order: the declared codec, its siblings, UTF-8, the `hints` (other charsets the same
    mail declares), windows-1252. Text declared UTF-8 that is not valid UTF-8 is decoded
    with replacement characters, so one bad byte does not turn the whole text into
    mojibake; anything else ends in Latin-1, which accepts every byte.
    """
    declared = codec_for(label)
    candidates: list[str] = []
    if declared:
        candidates += [declared, *_SIBLINGS.get(declared, ())]
    candidates.append(_UTF8)
    for hint in filter(None, map(codec_for, hints)):
        candidates += [hint, *_SIBLINGS.get(hint, ())]
    candidates.append("cp1252")
    seen: set[str] = set()
    for name in candidates:
        if name in seen:
            continue
        seen.add(name)
        try:
            text = data.decode(name)
        except (UnicodeError, LookupError):
            continue
        # utf-7 and utf-16 can yield lone surrogates; strict UTF-8 never does.
        if name == _UTF8 or not _SURROGATE.search(text):
            return text, name
    if declared == _UTF8:
        return data.decode(_UTF8, "replace"), "utf-8/replace"
    return data.decode("latin-1"), "latin-1"


def decode_header_value(value: str, hints: Iterable[str] = ()) -> str:
    """Decoded text of one raw header value: 8-bit bytes and RFC 2047 encoded-words.

    `value` is a value as the stdlib parser stores it: undecodable 8-bit bytes are kept as
    surrogate escapes. The result may still contain line breaks; see `one_line`.
    """
    hints = tuple(hints)
    if not value.isascii():
        value = _decode_8bit(value, hints)
    if "=?" in value:
        value = _decode_encoded_words(value, hints)
    return scrub(value)


def decode_escaped_surrogates(value: str, hints: Iterable[str] = ()) -> str:
    r"""Undo mail-parser's ``\udcXX`` escaping of raw 8-bit bytes in a display name."""
    if "\\udc" not in value:
        return value
    restored = re.sub(r"\\udc([89a-fA-F][0-9a-fA-F])", lambda m: chr(0xDC00 + int(m[1], 16)), value)
    return _decode_8bit(restored, tuple(hints))


def _decode_8bit(value: str, hints: tuple[str, ...]) -> str:
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates that are not escaped bytes
        return scrub(value)
    return decode_bytes(data, None, hints)[0]


def _decode_encoded_words(value: str, hints: tuple[str, ...]) -> str:
    """RFC 2047: adjacent words of one charset are joined before decoding, because mail
    clients split multi-byte characters across words; whitespace between words is dropped."""
    out: list[str] = []
    pending: bytearray = bytearray()
    pending_charset: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending_charset
        if pending_charset is not None:
            out.append(decode_bytes(bytes(pending), pending_charset, hints)[0])
            pending.clear()
            pending_charset = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:  # not decodable: keep the word as it was written
            flush()
            out.append(value[pos : match.end()])
            pos = match.end()
            continue
        charset = match.group(1).lower()
        if between and not between.isspace() or pending_charset is None:
            flush()
            out.append(between)
        elif charset != pending_charset:
            flush()
        pending_charset = charset
        pending += data
        pos = match.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            if not _BASE64_TEXT.fullmatch(payload):
                return None
            return decode_base64_payload(payload)
        return binascii.a2b_qp(payload.encode("utf-8", "surrogateescape"), header=True)
    except (binascii.Error, ValueError, UnicodeError):
        return None
