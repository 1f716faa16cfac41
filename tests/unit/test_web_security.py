"""The web console's rules, in process (Starlette's TestClient over the real ASGI app and a
SQLite store): sign-in by one-time link, sessions, CSRF, roles, template names, headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from inbox_worker.app import App, build_app
from inbox_worker.config import load_settings
from inbox_worker.store.models import Message, OutboxItem
from inbox_worker.web.app import make_console

ADMIN, TECH = "admin@example.com", "tech@example.com"
BASE = "http://console.test"
LINK = re.compile(re.escape(BASE) + r"/sign-in/([A-Za-z0-9_-]+)")
GOOD = "Subject: We got it: {{ ticket.subject }}\n\nHello {{ customer.name }}, thanks.\n"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core(tmp_path: Path, clock: Clock) -> Iterator[App]:
    (tmp_path / "templates").mkdir()
    config = tmp_path / "c.toml"
    config.write_text(f"""
[support]
address = "support@example.com"
[database]
url = "sqlite:///{tmp_path / 'w.db'}"
[mailbox]
url = "maildir:{tmp_path / 'mail'}"
[templates]
dir = "{tmp_path / 'templates'}"
[technicians]
addresses = ["{TECH}"]
[web]
base_url = "{BASE}"
admins = ["{ADMIN}"]
""")
    (tmp_path / "mail").mkdir()
    app = build_app(load_settings(config), clock=clock)
    yield app
    app.close()


@pytest.fixture
def client(core: App) -> TestClient:
    return TestClient(make_console(core), base_url=BASE, follow_redirects=False)


def anon_token(client: TestClient) -> str:
    page = client.get("/sign-in")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def links_mailed(core: App, address: str) -> list[str]:
    with core.sessions() as session:
        texts = session.scalars(select(Message.full_text).where(
            Message.kind == "sign_in", Message.to_addrs == address))
        return [LINK.search(text).group(1) for text in texts]


def ask(client: TestClient, address: str) -> int:
    return client.post("/sign-in", data={"csrf": anon_token(client), "email": address}
                       ).status_code


def sign_in(client: TestClient, core: App, address: str) -> str:
    """Sign in; the session's CSRF token."""
    assert ask(client, address) == 200
    secret = links_mailed(core, address)[-1]
    confirm = client.get(f"/sign-in/{secret}")
    token = re.search(r'name="csrf" value="([^"]+)"', confirm.text).group(1)
    done = client.post(f"/sign-in/{secret}", data={"csrf": token})
    assert done.status_code == 303 and done.headers["location"] == "/queue"
    page = client.get("/templates")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_a_link_is_mailed_through_the_outbox_and_signs_in_once(client: TestClient,
                                                              core: App) -> None:
    assert client.get("/templates").headers["location"] == "/sign-in"
    sign_in(client, core, ADMIN)
    with core.sessions() as session:
        item = session.scalars(select(OutboxItem)).one()
        assert (item.state, item.recipient, item.notice) == ("pending", ADMIN, "sign_in")
        raw = item.raw.decode()
    cookie = client.cookies.get("iw_session")
    assert cookie and cookie not in raw and links_mailed(core, ADMIN)[0] in raw
    # The same link again, from a fresh browser: refused.
    stranger = TestClient(make_console(core), base_url=BASE, follow_redirects=False)
    secret = links_mailed(core, ADMIN)[0]
    assert "used up or expired" in stranger.get(f"/sign-in/{secret}").text
    token = anon_token(stranger)
    again = stranger.post(f"/sign-in/{secret}", data={"csrf": token})
    assert again.status_code == 400 and "iw_session" not in again.cookies


def test_an_expired_link_opens_nothing(client: TestClient, core: App, clock: Clock) -> None:
    assert ask(client, TECH) == 200
    secret = links_mailed(core, TECH)[0]
    clock.now += timedelta(minutes=15, seconds=1)
    token = anon_token(client)
    refused = client.post(f"/sign-in/{secret}", data={"csrf": token})
    assert refused.status_code == 400 and "iw_session" not in refused.cookies
    assert client.get("/templates").status_code == 303


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client: TestClient,
                                                            core: App) -> None:
    answer = client.post("/sign-in", data={"csrf": anon_token(client),
                                           "email": "Someone@Elsewhere.org"})
    assert answer.status_code == 200 and "Check your mail" in answer.text
    with core.sessions() as session:
        assert session.scalars(select(OutboxItem)).all() == []


def test_sign_in_requests_are_rate_limited_per_address_and_per_client(
        client: TestClient, core: App, clock: Clock) -> None:
    assert [ask(client, ADMIN) for _ in range(4)] == [200, 200, 200, 429]
    assert len(links_mailed(core, ADMIN)) == 3
    # 10 a client: the 3 above, then 7 more (the refused one is not counted).
    assert [ask(client, f"x{i}@elsewhere.org") for i in range(8)] == [200] * 7 + [429]
    clock.now += timedelta(minutes=16)
    assert ask(client, ADMIN) == 200


@pytest.mark.parametrize("data", [{}, {"csrf": "forged"}, {"csrf": ""}])
def test_a_post_without_this_sessions_csrf_token_is_refused(client: TestClient, core: App,
                                                           data: dict[str, str]) -> None:
    sign_in(client, core, ADMIN)
    answer = client.post("/templates/answer.txt.j2", data={**data, "source": GOOD})
    assert answer.status_code == 403
    assert not (core.settings.templates_dir / "answer.txt.j2").exists()
    assert client.post("/sign-in", data={**data, "email": ADMIN}).status_code == 403


def test_a_post_from_another_site_is_refused(client: TestClient, core: App) -> None:
    token = sign_in(client, core, ADMIN)
    answer = client.post("/templates/answer.txt.j2", data={"csrf": token, "source": GOOD},
                         headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403


def test_a_form_posted_under_no_referrer_says_origin_null_and_is_accepted(
        client: TestClient, core: App) -> None:
    # Referrer-Policy: no-referrer makes a browser send `Origin: null` with a form's POST
    # (a same-origin fetch still sends the real Origin): the token decides.
    token = sign_in(client, core, ADMIN)
    answer = client.post("/templates/answer.txt.j2", data={"csrf": token, "source": GOOD},
                         headers={"Origin": "null"})
    assert answer.status_code == 303
    forged = client.post("/templates/answer.txt.j2", data={"csrf": "forged", "source": GOOD},
                         headers={"Origin": "null"})
    assert forged.status_code == 403


def test_a_technician_may_read_templates_but_not_save_or_restore(client: TestClient,
                                                                 core: App) -> None:
    token = sign_in(client, core, TECH)
    assert client.get("/templates/answer.txt.j2").status_code == 200
    for path, data in (("/templates/answer.txt.j2", {"source": GOOD}),
                       ("/templates/answer.txt.j2/restore", {"version": "1"})):
        assert client.post(path, data={"csrf": token, **data}).status_code == 403
    assert not (core.settings.templates_dir / "answer.txt.j2").exists()
    preview = client.post("/templates/answer.txt.j2/preview",
                          data={"csrf": token, "source": GOOD})
    assert preview.status_code == 200 and "We got it" in preview.text


@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "..%2Fc.toml", ".answer.txt.j2",
                                  "answer.txt", "README", "%2Fetc%2Fpasswd",
                                  "answer.txt.j2%00"])
def test_template_names_cannot_leave_the_folder(client: TestClient, core: App,
                                                name: str, tmp_path: Path) -> None:
    token = sign_in(client, core, ADMIN)
    assert client.get(f"/templates/{name}").status_code == 404
    assert client.post(f"/templates/{name}",
                       data={"csrf": token, "source": GOOD}).status_code == 404
    assert sorted(p.name for p in core.settings.templates_dir.iterdir()) == []


def test_a_broken_template_is_refused_with_its_line(client: TestClient, core: App) -> None:
    token = sign_in(client, core, ADMIN)
    broken = "Subject: Hi\n\nHello\n{% if ticket.ref %}\nno end\n"
    answer = client.post("/templates/answer.txt.j2", data={"csrf": token, "source": broken})
    assert answer.status_code == 422
    assert "line 5" in answer.text or "line 4" in answer.text
    assert not (core.settings.templates_dir / "answer.txt.j2").exists()
    unknown = client.post("/templates/answer.txt.j2",
                          data={"csrf": token, "source": "Subject: x\n\n{{ custmer }}\n"})
    assert unknown.status_code == 422 and "line 3" in unknown.text


def test_saves_keep_the_previous_version_and_restore_it(client: TestClient,
                                                        core: App) -> None:
    token = sign_in(client, core, ADMIN)
    path = core.settings.templates_dir / "answer.txt.j2"
    first = client.post("/templates/answer.txt.j2", data={"csrf": token, "source": GOOD})
    assert first.status_code == 303 and path.read_text() == GOOD
    second = GOOD.replace("thanks", "thank you")
    client.post("/templates/answer.txt.j2",
                data={"csrf": token, "source": second.replace("\n", "\r\n")})
    assert path.read_text() == second  # a textarea's CRLF saved as the files' LF
    editor = client.get("/templates/answer.txt.j2")
    version = re.search(r'name="version" value="(\d+)"', editor.text).group(1)
    restored = client.post("/templates/answer.txt.j2/restore",
                           data={"csrf": token, "version": version})
    assert restored.status_code == 303 and path.read_text() == GOOD
    listing = client.get("/templates").text
    assert re.search(r'answer\.txt\.j2</a></td>\s*<td>answer</td>\s*<td><span class="tag '
                     r'edited">', listing)


def test_every_answer_carries_the_security_headers(client: TestClient, core: App) -> None:
    page = client.get("/sign-in")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text and " style=" not in page.text
    sign_in(client, core, ADMIN)
    cookies = [h for name, h in client.get("/templates").headers.multi_items()
               if name == "set-cookie"] + [h for name, h in TestClient(
                   make_console(core), base_url=BASE).get("/sign-in").headers.multi_items()
                   if name == "set-cookie"]
    assert cookies and all("HttpOnly" in c and "SameSite" in c for c in cookies)


def test_sign_out_ends_the_session(client: TestClient, core: App) -> None:
    token = sign_in(client, core, ADMIN)
    cookie = client.cookies.get("iw_session")
    assert client.post("/sign-out", data={"csrf": token}).status_code == 303
    client.cookies.set("iw_session", cookie)
    assert client.get("/templates").status_code == 303
