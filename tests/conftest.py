"""Shared fixtures: the database under test (SQLite and PostgreSQL), settings, the app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_worker.app import App, build_app, fixed_clock
from inbox_worker.config import (
    DatabaseSettings,
    MailboxSettings,
    Settings,
    SmtpSettings,
    SupportSettings,
    TechnicianSettings,
)
from tests.support import postgres

pytest_plugins = ["tests.support.fixtures", "tests.support.smtp", "tests.support.web_console"]

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that stores runs on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inbox-worker.db'}"
    url: str = request.getfixturevalue("postgres_url")
    postgres.truncate_all(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        support=SupportSettings(address="support@example.com", name="Example Support",
                                token_prefix="IW", message_id_domain="example.com"),
        database=DatabaseSettings(url=database_url),
        mailbox=MailboxSettings(kind="maildir", path=tmp_path / "mail"),
        smtp=SmtpSettings(kind="maildir", sent_path=tmp_path / "sent"),
        templates_dir=REPO / "templates",
        technicians=TechnicianSettings(
            addresses=frozenset({"alice@example.com", "bob@example.com"}),
            trusted_authserv_ids=("mx.example.com",),
        ),
    )


@pytest.fixture
def make_app(settings: Settings) -> Iterator:  # type: ignore[type-arg]
    """Build an App at a fixed moment; call again with another moment to move time."""
    apps: list[App] = []

    def build(now: datetime = NOW, **changes: object) -> App:
        app = build_app(replace(settings, **changes) if changes else settings,
                        clock=fixed_clock(now))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS
