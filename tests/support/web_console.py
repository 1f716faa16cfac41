"""The web console in process for tests: a store and template folder in tmp_path, the
real ASGI app behind Starlette's TestClient, a clock the test moves, and signing in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from inbox_worker.app import App, build_app
from inbox_worker.config import load_settings
from inbox_worker.store.models import Message
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
def web_clock() -> Clock:
    return Clock()


@pytest.fixture
def web_core(tmp_path: Path, web_clock: Clock) -> Iterator[App]:
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
    app = build_app(load_settings(config), clock=web_clock)
    yield app
    app.close()


@pytest.fixture
def web_client(web_core: App) -> TestClient:
    return TestClient(make_console(web_core), base_url=BASE, follow_redirects=False)


def anon_token(web_client: TestClient) -> str:
    page = web_client.get("/sign-in")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def links_mailed(web_core: App, address: str) -> list[str]:
    with web_core.sessions() as session:
        texts = session.scalars(select(Message.full_text).where(
            Message.kind == "sign_in", Message.to_addrs == address))
        return [LINK.search(text).group(1) for text in texts]


def ask(web_client: TestClient, address: str) -> int:
    return web_client.post("/sign-in", data={"csrf": anon_token(web_client), "email": address}
                       ).status_code


def sign_in(web_client: TestClient, web_core: App, address: str) -> str:
    """Sign in; the session's CSRF token."""
    assert ask(web_client, address) == 200
    secret = links_mailed(web_core, address)[-1]
    confirm = web_client.get(f"/sign-in/{secret}")
    token = re.search(r'name="csrf" value="([^"]+)"', confirm.text).group(1)
    done = web_client.post(f"/sign-in/{secret}", data={"csrf": token})
    assert done.status_code == 303 and done.headers["location"] == "/queue"
    page = web_client.get("/templates")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
