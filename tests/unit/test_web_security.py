"""The web console's rules, in process (Starlette's TestClient over the real ASGI app and a
SQLite store): sign-in by one-time link, sessions, CSRF, roles, template names, headers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from inbox_worker.app import App
from inbox_worker.store.models import OutboxItem
from inbox_worker.web.app import make_console
from tests.support.web_console import (
    ADMIN,
    BASE,
    GOOD,
    TECH,
    Clock,
    anon_token,
    ask,
    links_mailed,
    sign_in,
)


def test_a_link_is_mailed_through_the_outbox_and_signs_in_once(web_client: TestClient,
                                                              web_core: App) -> None:
    assert web_client.get("/templates").headers["location"] == "/sign-in"
    sign_in(web_client, web_core, ADMIN)
    with web_core.sessions() as session:
        item = session.scalars(select(OutboxItem)).one()
        assert (item.state, item.recipient, item.notice) == ("pending", ADMIN, "sign_in")
        raw = item.raw.decode()
    cookie = web_client.cookies.get("iw_session")
    assert cookie and cookie not in raw and links_mailed(web_core, ADMIN)[0] in raw
    # The same link again, from a fresh browser: refused.
    stranger = TestClient(make_console(web_core), base_url=BASE, follow_redirects=False)
    secret = links_mailed(web_core, ADMIN)[0]
    assert "used up or expired" in stranger.get(f"/sign-in/{secret}").text
    token = anon_token(stranger)
    again = stranger.post(f"/sign-in/{secret}", data={"csrf": token})
    assert again.status_code == 400 and "iw_session" not in again.cookies


def test_an_expired_link_opens_nothing(web_client: TestClient, web_core: App,
                                       web_clock: Clock) -> None:
    assert ask(web_client, TECH) == 200
    secret = links_mailed(web_core, TECH)[0]
    web_clock.now += timedelta(minutes=15, seconds=1)
    token = anon_token(web_client)
    refused = web_client.post(f"/sign-in/{secret}", data={"csrf": token})
    assert refused.status_code == 400 and "iw_session" not in refused.cookies
    assert web_client.get("/templates").status_code == 303


def test_an_unknown_address_gets_the_same_answer_and_no_mail(web_client: TestClient,
                                                            web_core: App) -> None:
    answer = web_client.post("/sign-in", data={"csrf": anon_token(web_client),
                                           "email": "Someone@Elsewhere.org"})
    assert answer.status_code == 200 and "Check your mail" in answer.text
    with web_core.sessions() as session:
        assert session.scalars(select(OutboxItem)).all() == []


def test_sign_in_requests_are_rate_limited_per_address_and_per_client(
        web_client: TestClient, web_core: App, web_clock: Clock) -> None:
    assert [ask(web_client, ADMIN) for _ in range(4)] == [200, 200, 200, 429]
    assert len(links_mailed(web_core, ADMIN)) == 3
    # 10 a web_client: the 3 above, then 7 more (the refused one is not counted).
    assert [ask(web_client, f"x{i}@elsewhere.org") for i in range(8)] == [200] * 7 + [429]
    web_clock.now += timedelta(minutes=16)
    assert ask(web_client, ADMIN) == 200


@pytest.mark.parametrize("data", [{}, {"csrf": "forged"}, {"csrf": ""}])
def test_a_post_without_this_sessions_csrf_token_is_refused(web_client: TestClient, web_core: App,
                                                           data: dict[str, str]) -> None:
    sign_in(web_client, web_core, ADMIN)
    answer = web_client.post("/templates/answer.txt.j2", data={**data, "source": GOOD})
    assert answer.status_code == 403
    assert not (web_core.settings.templates_dir / "answer.txt.j2").exists()
    assert web_client.post("/sign-in", data={**data, "email": ADMIN}).status_code == 403


def test_a_post_from_another_site_is_refused(web_client: TestClient, web_core: App) -> None:
    token = sign_in(web_client, web_core, ADMIN)
    answer = web_client.post("/templates/answer.txt.j2", data={"csrf": token, "source": GOOD},
                         headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403


def test_a_form_posted_under_no_referrer_says_origin_null_and_is_accepted(
        web_client: TestClient, web_core: App) -> None:
    # Referrer-Policy: no-referrer makes a browser send `Origin: null` with a form's POST
    # (a same-origin fetch still sends the real Origin): the token decides.
    token = sign_in(web_client, web_core, ADMIN)
    answer = web_client.post("/templates/answer.txt.j2",
                             data={"csrf": token, "source": GOOD}, headers={"Origin": "null"})
    assert answer.status_code == 303
    forged = web_client.post("/templates/answer.txt.j2",
                             data={"csrf": "forged", "source": GOOD}, headers={"Origin": "null"})
    assert forged.status_code == 403


def test_a_technician_may_read_templates_but_not_save_or_restore(web_client: TestClient,
                                                                 web_core: App) -> None:
    token = sign_in(web_client, web_core, TECH)
    assert web_client.get("/templates/answer.txt.j2").status_code == 200
    for path, data in (("/templates/answer.txt.j2", {"source": GOOD}),
                       ("/templates/answer.txt.j2/restore", {"version": "1"})):
        assert web_client.post(path, data={"csrf": token, **data}).status_code == 403
    assert not (web_core.settings.templates_dir / "answer.txt.j2").exists()
    # A draft is code run on the server: a technician may not run one either.
    preview = web_client.post("/templates/answer.txt.j2/preview",
                              data={"csrf": token, "source": GOOD})
    assert preview.status_code == 403


@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "..%2Fc.toml", ".answer.txt.j2",
                                  "answer.txt", "README", "%2Fetc%2Fpasswd",
                                  "answer.txt.j2%00"])
def test_template_names_cannot_leave_the_folder(web_client: TestClient, web_core: App,
                                                name: str, tmp_path: Path) -> None:
    token = sign_in(web_client, web_core, ADMIN)
    assert web_client.get(f"/templates/{name}").status_code == 404
    assert web_client.post(f"/templates/{name}",
                       data={"csrf": token, "source": GOOD}).status_code == 404
    assert sorted(p.name for p in web_core.settings.templates_dir.iterdir()) == []


def test_a_broken_template_is_refused_with_its_line(web_client: TestClient, web_core: App) -> None:
    token = sign_in(web_client, web_core, ADMIN)
    broken = "Subject: Hi\n\nHello\n{% if ticket.ref %}\nno end\n"
    answer = web_client.post("/templates/answer.txt.j2", data={"csrf": token, "source": broken})
    assert answer.status_code == 422
    assert "line 5" in answer.text or "line 4" in answer.text
    assert not (web_core.settings.templates_dir / "answer.txt.j2").exists()
    unknown = web_client.post("/templates/answer.txt.j2",
                          data={"csrf": token, "source": "Subject: x\n\n{{ custmer }}\n"})
    assert unknown.status_code == 422 and "line 3" in unknown.text


def test_saves_keep_the_previous_version_and_restore_it(web_client: TestClient,
                                                        web_core: App) -> None:
    token = sign_in(web_client, web_core, ADMIN)
    path = web_core.settings.templates_dir / "answer.txt.j2"
    first = web_client.post("/templates/answer.txt.j2", data={"csrf": token, "source": GOOD})
    assert first.status_code == 303 and path.read_text() == GOOD
    second = GOOD.replace("thanks", "thank you")
    web_client.post("/templates/answer.txt.j2",
                data={"csrf": token, "source": second.replace("\n", "\r\n")})
    assert path.read_text() == second  # a textarea's CRLF saved as the files' LF
    editor = web_client.get("/templates/answer.txt.j2")
    version = re.search(r'name="version" value="(\d+)"', editor.text).group(1)
    restored = web_client.post("/templates/answer.txt.j2/restore",
                           data={"csrf": token, "version": version})
    assert restored.status_code == 303 and path.read_text() == GOOD
    listing = web_client.get("/templates").text
    assert re.search(r'answer\.txt\.j2</a></td>\s*<td>answer</td>\s*<td><span class="tag '
                     r'edited">', listing)


def test_every_answer_carries_the_security_headers(web_client: TestClient, web_core: App) -> None:
    page = web_client.get("/sign-in")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text and " style=" not in page.text
    sign_in(web_client, web_core, ADMIN)
    cookies = [h for name, h in web_client.get("/templates").headers.multi_items()
               if name == "set-cookie"] + [h for name, h in TestClient(
                   make_console(web_core), base_url=BASE).get("/sign-in").headers.multi_items()
                   if name == "set-cookie"]
    assert cookies and all("HttpOnly" in c and "SameSite" in c for c in cookies)


def test_sign_out_ends_the_session(web_client: TestClient, web_core: App) -> None:
    token = sign_in(web_client, web_core, ADMIN)
    cookie = web_client.cookies.get("iw_session")
    assert web_client.post("/sign-out", data={"csrf": token}).status_code == 303
    web_client.cookies.set("iw_session", cookie)
    assert web_client.get("/templates").status_code == 303


def test_an_html_preview_is_served_to_its_user_only_and_runs_nothing(
        web_client: TestClient, web_core: App) -> None:
    token = sign_in(web_client, web_core, ADMIN)
    fragment = web_client.post(
        "/templates/answer.html.j2/preview",
        data={"csrf": token, "source": '<p style="color:red">Hi {{ customer.name }}</p>'},
        headers={"X-Requested-With": "preview"}).text
    url = re.search(r'<iframe sandbox [^>]*src="(/templates/preview-html/[^"]+)"',
                    fragment).group(1)
    shown = web_client.get(url)
    assert shown.status_code == 200 and "Hi Jane Doe" in shown.text
    policy = shown.headers["content-security-policy"]
    assert "script" not in policy.replace("default-src 'none'", "")
    other = TestClient(web_client.app, base_url=BASE, follow_redirects=False)
    sign_in(other, web_core, TECH)
    assert other.get(url).status_code == 404
    assert web_client.get("/templates/preview-html/nope").status_code == 404


def test_a_used_links_page_offers_a_form_that_works(web_client: TestClient,
                                                    web_core: App) -> None:
    used = web_client.get("/sign-in/not-a-link")
    assert used.status_code == 400 and "used up or expired" in used.text
    token = re.search(r'name="csrf" value="([^"]+)"', used.text).group(1)
    assert web_client.post("/sign-in", data={"csrf": token, "email": ADMIN}
                           ).status_code == 200


def test_over_https_the_cookies_are_host_only_and_secure(tmp_path: Path) -> None:
    from inbox_worker.app import build_app
    from inbox_worker.config import load_settings

    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "w.db"}"\n'
                      f'[mailbox]\nurl = "maildir:{tmp_path}"\n'
                      '[web]\nbase_url = "https://console.test"\nadmins = ["a@example.com"]\n')
    core = build_app(load_settings(config))
    try:
        page = TestClient(make_console(core), base_url="https://console.test").get("/sign-in")
    finally:
        core.close()
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-iw_csrf=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def test_the_access_log_hides_sign_in_secrets() -> None:
    import logging

    from inbox_worker.cli_web import HideSignInSecrets

    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0,
                               '%s - "%s %s HTTP/%s" %d', ("1.2.3.4:5", "GET",
                                                            "/sign-in/Abc-123_x?y=1", "1.1",
                                                            200), None)
    assert HideSignInSecrets().filter(record)
    assert "Abc-123" not in record.getMessage() and "/sign-in/(hidden)" in record.getMessage()


def test_web_settings_parse_and_refuse_what_is_wrong(tmp_path: Path) -> None:
    from inbox_worker.config import load_settings
    from inbox_worker.errors import ConfigError

    config = tmp_path / "c.toml"
    config.write_text('[web]\nlisten = "[::1]:8030"\ntrusted_proxies = ["127.0.0.1", "::1"]\n'
                      'admins = ["Lead@Example.com"]\n')
    web = load_settings(config).web
    assert (web.listen, web.base_url, web.admins, web.trusted_proxies, web.secure) == (
        ("::1", 8030), "http://[::1]:8030", frozenset({"lead@example.com"}),
        ("127.0.0.1", "::1"), False)
    config.write_text('[web]\nbase_url = "ftp://x"\ntrusted_proxies = ["nginx"]\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert "base_url" in str(refused.value) and "'nginx' is not an IP address" in str(
        refused.value)
