"""HTML mail bodies turned into readable plain text.

This module owns `html_to_text`: what a technician reads when a customer sends HTML only.
Scripts, styles and the document head are dropped; block elements and ``<br>`` become
line breaks; entities are decoded; runs of blank lines collapse to one.

HTML from the outside is hostile, and the stdlib `html.parser` of the Python versions we
run on is quadratic on some unterminated constructs (``"<a" * 200_000`` takes minutes).
So a linear pre-pass first reduces the markup to bare tags (``<p>``, ``</div>``, ``<br/>``):
comments, declarations, processing instructions, attributes and the contents of
``<script>``/``<style>`` never reach the parser, and a ``<`` that does not open a
well-formed tag is escaped as text. The parser then only dispatches tags and decodes
entities, which it does in linear time.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Elements whose content is never shown to a reader.
_RAW_TEXT = frozenset({"script", "style"})  # content is not markup: skipped in the pre-pass
_HIDDEN = frozenset({"head", "title", "template"})

_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "tfoot", "thead", "tr", "ul",
    }
)  # fmt: skip
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})
_CELL = frozenset({"td", "th"})
_STRUCTURAL = _BLOCK | _PARAGRAPH | _CELL | _HIDDEN | {"br", "pre", "body"}

# One token of markup: a comment opening, a tag (attributes ignored), or a declaration.
# Each alternative stops at the next "<" or ">", so a search never rescans text.
_TOKEN = re.compile(
    r"<!--"
    r"|<(?P<closing>/?)(?P<name>[A-Za-z][A-Za-z0-9:_-]*)(?:[\s/][^<>]*?)?(?P<empty>/?)>"
    r"|<[!?][^<>]*>"
)
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_BARE_TAG = re.compile(r"<[^<>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML document or fragment. Linear time; never raises."""
    if not markup:
        return ""
    simple = _simplify(markup)
    extractor = _TextExtractor()
    try:
        extractor.feed(simple)
        extractor.close()
        text = extractor.text()
    except Exception:  # a parser surprise must not lose the mail's text
        text = html.unescape(_BARE_TAG.sub(" ", simple))
    return _tidy(text)


def _simplify(markup: str) -> str:
    """Reduce markup to text and bare tags, in one left-to-right pass."""
    out: list[str] = []
    n = len(markup)
    pos = 0
    while pos < n:
        match = _TOKEN.search(markup, pos)
        if match is None:
            out.append(markup[pos:].replace("<", "&lt;"))
            break
        # A "<" the token pattern skipped opens no tag ("a < b", "<<"): it is text.
        out.append(markup[pos : match.start()].replace("<", "&lt;"))
        pos = match.end()
        name = match.group("name")
        if name is None:
            if match.group(0) == "<!--":
                end = markup.find("-->", pos)
                pos = n if end < 0 else end + 3  # unterminated: runs to the end, as in browsers
            continue  # comment, doctype, CDATA, conditional comment, processing instruction
        name = name.lower()
        closing = match.group("closing")
        if name in _RAW_TEXT:
            if not closing:
                pos = _skip_raw_text(markup, pos, name)
            continue
        if name in _STRUCTURAL:  # inline tags (span, a, font, img...) change no text
            out.append(f"<{closing}{name}{match.group('empty') if not closing else ''}>")
    return "".join(out)


def _skip_raw_text(markup: str, start: int, name: str) -> int:
    """Index just past the ``</name ...>`` that ends a script or style, or the end."""
    match = re.compile(rf"</{name}[^>]*>", re.IGNORECASE).search(markup, start)
    return len(markup) if match is None else match.end()


class _TextExtractor(HTMLParser):
    """Collects text and line breaks from the bare-tag markup `_simplify` produces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._tail = "\n"  # last character emitted; a line start at first
        self._newlines = 0  # how many newlines the output ends with
        self._quoted = 0  # blockquote depth: its lines are '>'-quoted, as clients quote

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._hidden = 0  # a missing </head> must not hide the whole body
        elif tag in _HIDDEN:
            self._hidden += 1
        elif tag == "pre":
            self._pre += 1
        self._break(tag)
        if tag == "blockquote":
            self._quoted += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)  # <br/>, <hr/>, <div/>: no content, no nesting

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag == "blockquote":
            self._quoted = max(0, self._quoted - 1)
        if tag != "br":
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            data = _HTML_SPACE.sub(" ", data)
            if self._tail in " \n":
                data = data.lstrip(" ")
        self._emit(data)

    def _break(self, tag: str) -> None:
        if self._hidden:
            return
        if tag == "br":
            self._emit("\n")
        elif tag in _PARAGRAPH:
            self._end_line(blank=True)
        elif tag in _BLOCK:
            self._end_line(blank=False)
        elif tag in _CELL and self._tail not in " \n":
            self._emit(" ")

    def _end_line(self, *, blank: bool) -> None:
        wanted = 2 if blank else 1
        if self._parts and self._newlines < wanted:
            self._emit("\n" * (wanted - self._newlines))

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self._quoted and text.strip("\n"):
            text = self._quote(text)
        self._parts.append(text)
        self._tail = text[-1]
        kept = text.rstrip("\n")
        self._newlines = (self._newlines if not kept else 0) + len(text) - len(kept)

    def _quote(self, text: str) -> str:
        """``text`` with '> ' (once per blockquote level) before each line it starts."""
        prefix = "> " * self._quoted
        lines = text.split("\n")
        starts = [self._tail == "\n"] + [True] * (len(lines) - 1)
        return "\n".join(
            prefix + line if start and line else line
            for line, start in zip(lines, starts, strict=True)
        )

    def text(self) -> str:
        return "".join(self._parts)


def _tidy(text: str) -> str:
    """Trim line ends, turn no-break spaces into spaces, keep at most one blank line."""
    text = text.replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip(" \t") for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")
