"""The console in a real browser: headless Debian Chromium driven by Playwright against a real
`inbox-worker web` process (SQLite, a Maildir mailbox, the SMTP test server), with
`poll --once` beside it sending what the console queued. What the in-process tests
(tests/unit/test_web_security.py) cannot see: the Origin a browser really sends, the
editor's script under the Content-Security-Policy, the live preview, the mail that goes out.

No skipping: without Chromium or Playwright these tests fail (scripts/test installs both).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.console import (
    ADMIN,
    CHROMIUM,
    Console,
    ConsoleSetup,
    console_setup,
    drop_mail,
    poll_once,
)
from tests.support.mails import make_mail
from tests.support.smtp import SmtpServer

try:
    from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
except ImportError as missing:  # pragma: no cover - a broken test environment
    raise ImportError("playwright is missing: pip install -e '.[test]'") from missing

pytestmark = pytest.mark.integration

TEMPLATE = "acknowledged.txt.j2"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/sign-in/[A-Za-z0-9_-]+")
EDITED = ("Subject: Edited in the browser: {{ ticket.subject }}\n\n"
          "Dear {{ customer.name }}, ticket {{ ticket.ref }} is ours now.\n")
# A browser's own log of an HTTP status (the tests assert statuses themselves): not an error
# of the page. Everything else logged as an error (CSP refusals above all) fails the test.
HTTP_STATUS = "Failed to load resource: the server responded with a status of"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def setup(tmp_path: Path, smtp_server: SmtpServer) -> ConsoleSetup:
    return console_setup(tmp_path, smtp_port=smtp_server.port)


@pytest.fixture
def console(setup: ConsoleSetup) -> Iterator[Console]:
    """`inbox-worker web`, stopped by SIGTERM at the end: it must exit 0."""
    running = Console(setup)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            status = running.stop()
            assert status == 0, f"web exited {status} on SIGTERM:\n{running.log_text()}"


class PageErrors:
    """Errors the page logged (CSP refusals, script exceptions), HTTP statuses aside."""

    def __init__(self, page: Page, errors: list[str]) -> None:
        self.errors = errors
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith(HTTP_STATUS):
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")
        elif message.type == "warning" and "Content Security Policy" in message.text:
            self.errors.append(f"console warning: {message.text}")


@pytest.fixture
def page_errors() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, console: Console, page_errors: list[str]) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the console; no page errors by the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  base_url=console.setup.base_url)
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    PageErrors(opened, page_errors)
    try:
        yield opened
        assert page_errors == [], "the console's pages logged errors"
    finally:
        context.close()


def sign_in(page: Page, setup: ConsoleSetup, smtp: SmtpServer, address: str = ADMIN) -> str:
    """The whole way in: ask at /sign-in, the worker mails the link through SMTP, open it,
    press Sign in. The link's URL."""
    page.goto("/sign-in")
    page.fill("#email", address)
    page.click("form[action='/sign-in'] button[type=submit]")
    page.get_by_role("heading", name="Check your mail").wait_for()
    before = len(smtp.received)
    poll_once(setup)
    mails = [m for m in smtp.messages()[before:] if str(m["To"]) == address]
    assert len(mails) == 1, f"one sign-in mail to {address}, got {smtp.messages()}"
    body = mails[0].get_body(("plain",))
    assert body is not None
    link = LINK.search(body.get_content())
    assert link, body.get_content()
    page.goto(link.group(0))
    page.get_by_role("heading", name=f"Sign in as {address}").wait_for()
    with page.expect_navigation():
        page.click("#sign-in")
    return link.group(0)


def session_cookie(page: Page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "iw_session"), None)


def test_sign_in_by_the_link_the_smtp_server_received(page: Page, console: Console,
                                                     smtp_server: SmtpServer) -> None:
    assert page.goto("/templates").url.endswith("/sign-in")  # strangers are sent to sign in
    link = sign_in(page, console.setup, smtp_server)
    assert page.url.endswith("/queue")  # where the button's POST sends you
    assert page.get_by_role("heading", name="Queue").is_visible()
    assert session_cookie(page)
    page.goto("/templates")
    assert page.locator(".who").inner_text() == f"{ADMIN} (admin)"
    assert page.get_by_role("link", name=TEMPLATE).is_visible()
    # The link worked once: opened again it offers nothing.
    page.goto(link)
    assert "used up or expired" in page.locator(".error").inner_text()
    assert page.locator("#sign-in").count() == 0


def test_the_editor_previews_as_you_type_and_the_worker_sends_the_saved_template(
        page: Page, console: Console, smtp_server: SmtpServer) -> None:
    setup = console.setup
    sign_in(page, setup, smtp_server)
    page.goto(f"/templates/{TEMPLATE}")
    subject = page.locator("#preview-subject")
    assert "We have received your request" in subject.inner_text()  # the built-in default
    editor_url = page.url

    # A whole new draft, then typing at its end: each time the preview follows on its own.
    with page.expect_response(lambda r: r.url.endswith(f"/{TEMPLATE}/preview")) as posted:
        page.fill("#source", EDITED)
    assert posted.value.status == 200
    assert posted.value.request.headers.get("x-requested-with") == "preview"
    page.wait_for_function(
        "() => document.querySelector('#preview-subject')?.textContent"
        ".includes('Edited in the browser')", timeout=TIMEOUT_MS)
    assert re.fullmatch(r"\[IW-\w+\] Edited in the browser: .+", subject.inner_text())
    page.locator("#source").press("Control+End")
    page.locator("#source").press_sequentially("Typed live.\n")
    page.wait_for_function(
        "() => document.querySelector('#preview-text')?.textContent.includes('Typed live.')",
        timeout=TIMEOUT_MS)
    assert page.url == editor_url  # nothing was submitted: the script posted the draft
    assert not (setup.templates / TEMPLATE).exists()  # a preview saves nothing

    with page.expect_navigation():
        page.click("#save-button")
    assert page.url.endswith(f"/templates/{TEMPLATE}?saved=1")
    assert "Saved" in page.get_by_role("status").inner_text()
    saved = (setup.templates / TEMPLATE).read_text()
    assert saved == EDITED + "Typed live.\n"  # LF lines, as the files have (not CRLF)
    assert page.locator("table.list tbody tr").count() == 0  # nothing replaced yet

    # The worker's next acknowledgement is rendered from the saved file.
    before = len(smtp_server.received)
    drop_mail(setup, make_mail(sender="Carol Customer <carol@customer.test>",
                               subject="Printer on floor 3 is offline"))
    poll_once(setup)
    acks = [m for m in smtp_server.messages()[before:] if "carol@customer.test" in str(m["To"])]
    assert len(acks) == 1, smtp_server.messages()
    assert re.fullmatch(r"\[IW-\w+\] Edited in the browser: Printer on floor 3 is offline",
                        str(acks[0]["Subject"]))
    text = acks[0].get_body(("plain",)).get_content()
    assert "Dear Carol Customer, ticket T-1 is ours now." in text and "Typed live." in text
    assert "We have received your request" not in text


def test_a_broken_template_is_refused_with_its_line(page: Page, console: Console,
                                                    smtp_server: SmtpServer) -> None:
    setup = console.setup
    good = "Subject: Got it: {{ ticket.subject }}\n\nHello {{ customer.name }}.\n"
    (setup.templates / TEMPLATE).write_text(good)
    sign_in(page, setup, smtp_server)
    page.goto(f"/templates/{TEMPLATE}")
    assert page.locator("#source").input_value() == good

    # An unknown variable on line 3: the preview says so as you type...
    page.fill("#source", "Subject: Got it\n\nHello {{ custmer.name }}.\n")
    problems = page.locator("#preview .problems")
    problems.wait_for()
    assert "line 3" in problems.inner_text() and "unknown variable 'custmer'" in (
        problems.inner_text())
    # ...clicking the problem puts the cursor on that line...
    page.click("#preview a.line")
    assert page.evaluate("() => document.activeElement.id") == "source"
    assert page.evaluate("() => document.querySelector('#source').selectionStart") == len(
        "Subject: Got it\n\n")
    # ...and Save is refused with a 422 page that shows it, the file untouched.
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith(f"/templates/{TEMPLATE}")) as saved:
        page.click("#save-button")
    assert saved.value.status == 422
    page.get_by_role("alert").first.wait_for()
    assert "Not saved" in page.locator("p.error").inner_text()
    assert "line 3" in page.locator("#preview .problems").inner_text()
    assert (setup.templates / TEMPLATE).read_text() == good

    # An {% if %} never closed: refused too (Jinja finds it at the end of the file).
    unclosed = "Subject: Got it\n\n{% if ticket.subject %}\nHello.\n"
    page.fill("#source", unclosed)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith(f"/templates/{TEMPLATE}")) as saved:
        page.click("#save-button")
    assert saved.value.status == 422
    shown = page.locator("#preview .problems").inner_text()
    assert re.search(r"line \d+: syntax error: .*endif", shown), shown
    assert page.locator("#source").input_value() == unclosed  # the draft is kept to fix
    assert (setup.templates / TEMPLATE).read_text() == good


HOSTILE_HTML = (
    "<p>Visible words from <b>Carol</b></p>"
    "<script>document.title = 'pwned'; window.x = 1; parent.x = 1;</script>"
    "<img src=x onerror=\"document.title = 'pwned'; window.x = 2; parent.x = 2;\">"
    "<a href=\"javascript:window.x = 3\">a link</a>")


def test_a_customers_html_is_shown_inert_on_the_ticket_page(
        page: Page, console: Console, smtp_server: SmtpServer) -> None:
    setup = console.setup
    drop_mail(setup, make_mail(sender="carol@customer.test", subject="Hostile markup",
                               body="Plain words from Carol.\n", html=HOSTILE_HTML))
    sign_in(page, setup, smtp_server)  # its poll --once also takes the customer's mail in
    page.goto("/tickets/T-1")
    assert page.title().startswith("T-1")
    assert "Plain words from Carol." in page.locator("article pre.text").first.inner_text()
    page.locator("article details summary", has_text="HTML").first.click()
    frame_element = page.locator("article iframe.html-part").first
    assert frame_element.get_attribute("sandbox") == ""  # no allow-scripts, no same-origin
    shown = page.frame_locator("article iframe.html-part").first
    shown.get_by_text("Visible words from").wait_for()
    assert shown.locator("b").inner_text() == "Carol"
    frame = frame_element.element_handle().content_frame()
    assert frame is not None
    page.wait_for_timeout(200)  # time for the broken image's onerror, were it kept
    # Nothing ran: neither in the frame nor in the console's page.
    assert frame.evaluate("() => [document.title, typeof window.x]") == ["", "undefined"]
    assert frame.evaluate("() => document.querySelectorAll("
                          "'script, [onerror], [href^=javascript]').length") == 0
    assert page.evaluate("() => typeof window.x") == "undefined"
    assert page.title().startswith("T-1")


def test_the_html_part_is_previewed_with_its_inline_styles(
        page: Page, console: Console, smtp_server: SmtpServer, page_errors: list[str]) -> None:
    sign_in(page, console.setup, smtp_server)
    page.goto("/templates/acknowledged.html.j2")
    page.fill("#source", '<p style="color: rgb(180, 0, 0)">Hello {{ customer.name }}</p>\n')
    frame = page.frame_locator("#preview iframe.html-part")
    hello = frame.get_by_text("Hello Jane Doe")
    hello.wait_for()
    colour = hello.evaluate("e => getComputedStyle(e).color")
    refused = [e for e in page_errors if "Content Security Policy" in e]
    page_errors.clear()  # reported here, not again by the fixture
    assert (colour, refused) == ("rgb(180, 0, 0)", [])


def test_web_stops_on_sigterm_with_a_browser_connected(page: Page, console: Console) -> None:
    page.goto("/sign-in")  # a kept-alive connection from the browser stays open
    assert page.locator("#email").is_visible()
    assert console.stop() == 0
    log = console.log_text()
    assert "Finished server process" in log and "Traceback" not in log
