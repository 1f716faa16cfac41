"""html_to_text: readable text from hostile HTML, in linear time, never raising."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_worker.mail.html_text import html_to_text

CASES = [
    ("plain text", "hello", "hello"),
    ("paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"),
    ("br variants", "a<br>b<br/>c<BR />d", "a\nb\nc\nd"),
    ("divs", "<div>a</div><div>b</div>", "a\nb"),
    ("list items", "<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
    ("table cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
    (
        "entities",
        "AT&amp;T &lt;b&gt; &eacute;t&eacute; &#8364; &#x263A; &nbsp;x",
        "AT&T <b> été € ☺  x",
    ),
    ("source whitespace collapses", "<p>a\n   b\t\tc</p>", "a b c"),
    ("pre keeps whitespace", "<p>x</p><pre>a  b\n  c</pre>", "x\n\na  b\n  c"),
    ("source indentation dropped", "<div>\n    <p>\n      text\n    </p>\n</div>", "text"),
    ("script dropped", "<p>x</p><script>alert('hi')</script><p>y</p>", "x\n\ny"),
    ("script with markup inside", "<script>if (a<b && c>d) {x='</p>'}</script>ok", "ok"),
    ("style dropped", "<style>p { color: red }</style>text", "text"),
    ("unterminated script drops the rest", "a<script>b c d", "a"),
    ("head dropped", "<html><head><title>T</title><meta x=1></head><body>B</body></html>", "B"),
    ("missing </head> does not hide the body", "<head><title>T</title><body>B</body>", "B"),
    ("comments dropped", "a<!-- <p>hidden</p> -->b", "ab"),
    ("unterminated comment", "a<!-- b", "a"),
    ("conditional comments", "<!--[if mso]><p>mso</p><![endif]-->x", "x"),
    ("doctype dropped", "<!DOCTYPE html><p>x</p>", "x"),
    ("lone less-than is text", "a < b and c<d", "a < b and c<d"),
    ("attributes ignored", '<a href="https://x.test/?a=1&b=2" title="t">link</a>', "link"),
    ("blank lines collapse", "<p>a</p><p></p><p></p><br><br><br><p>b</p>", "a\n\nb"),
    ("upper-case tags", "<P>A</P><DIV>B</DIV>", "A\n\nB"),
    ("empty", "", ""),
]


@pytest.mark.parametrize(("markup", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


# Inputs on which the stdlib html.parser of Python <= 3.13 alone is quadratic or worse:
# (prefix, unit repeated, how many times, suffix).
ADVERSARIAL = {
    "unterminated start tags": ("", "<a", 200_000, ""),
    "unterminated end tags": ("", "</", 200_000, ""),
    "unterminated declarations": ("", "<!", 200_000, ""),
    "unterminated comments": ("", "<!--", 200_000, ""),
    "processing instructions": ("", "<?", 200_000, ""),
    "marked sections": ("", "<![if ", 100_000, ""),
    "unclosed attribute quote": ("<a ", "b='", 200_000, ""),
    "many tags": ("", "<div>x", 100_000, ""),
    "many entities": ("", "&amp;&#", 100_000, ""),
    "long tag name": ("<", "a", 400_000, ">"),
}
# Linear time is told by growth, not by a wall-clock limit (which a busy machine breaks):
# four times the input may take at most GROWTH_LIMIT times as long; quadratic work takes
# sixteen. CPU time of this process, so other processes' load does not count.
GROWTH_LIMIT = 8.0
# Below this a measurement is noise, and a fast input passes whatever its ratio.
NOISE_SECONDS = 0.05


def _cpu_seconds(markup: str) -> float:
    best = float("inf")
    for _ in range(2):
        started = time.process_time()
        html_to_text(markup)
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize("shape", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_linear_time_on_hostile_markup(shape: tuple[str, str, int, str]) -> None:
    prefix, unit, count, suffix = shape
    small = _cpu_seconds(prefix + unit * (count // 4) + suffix)
    large = _cpu_seconds(prefix + unit * count + suffix)
    assert large < max(small, NOISE_SECONDS) * GROWTH_LIMIT, (small, large)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/!-?&#;='\" \nabpscriptyle")), max_size=200))
def test_never_raises_and_returns_text(markup: str) -> None:
    result = html_to_text(markup)
    assert isinstance(result, str)
    assert "\n\n\n" not in result


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_never_raises_on_any_text(markup: str) -> None:
    assert isinstance(html_to_text(markup), str)
