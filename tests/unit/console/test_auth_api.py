"""Sign-in, sessions and their expiry: POST /login, POST /logout, GET /me."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.console.audit import AuditQuery
from bot.console.auth import COOKIE
from bot.store.schema import console_sessions
from tests.unit.console.console_helpers import PASSWORD, ConsoleRig, error_of


def _login(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/api/console/login", json={"username": username, "password": password})


def test_login_returns_the_user_and_sets_a_strict_http_only_cookie(anonymous: TestClient) -> None:
    r = _login(anonymous, "editor")
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["username"] == "editor"
    assert body["user"]["role"] == "editor"
    assert body["user"]["display_name"] == "测试editor"
    assert body["expires_at"] == "2026-06-01T17:00:00"  # 8 h after the fake clock's start
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie


def test_the_cookie_is_not_the_stored_token(rig: ConsoleRig, anonymous: TestClient) -> None:
    _login(anonymous, "editor")
    token = anonymous.cookies[COOKIE]
    stored = rig.console.db.read(
        lambda conn: list(conn.execute(console_sessions.select()).mappings()))
    assert len(stored) == 1
    assert stored[0]["token_hash"] != token and len(stored[0]["token_hash"]) == 64


def test_me_returns_the_signed_in_user(editor: TestClient) -> None:
    r = editor.get("/api/console/me")
    assert r.status_code == 200
    assert r.json()["user"]["username"] == "editor"
    assert "entries.edit" in r.json()["user"]["permissions"]


def test_me_without_a_cookie_is_401_not_signed_in(anonymous: TestClient) -> None:
    r = anonymous.get("/api/console/me")
    assert r.status_code == 401
    assert error_of(r)["code"] == "not_signed_in"


def test_a_made_up_cookie_is_401_not_signed_in(anonymous: TestClient) -> None:
    anonymous.cookies.set(COOKIE, "forged-token")
    r = anonymous.get("/api/console/me")
    assert r.status_code == 401
    assert error_of(r)["code"] == "not_signed_in"


def test_wrong_password_is_401_invalid_credentials(anonymous: TestClient) -> None:
    r = _login(anonymous, "editor", "wrong-password")
    assert r.status_code == 401
    assert error_of(r)["code"] == "invalid_credentials"
    assert COOKIE not in r.headers.get("set-cookie", "")


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(anonymous: TestClient) -> None:
    r = _login(anonymous, "nobody")
    assert r.status_code == 401
    assert error_of(r) == {"code": "invalid_credentials", "message": "用户名或密码错误"}


def test_five_wrong_passwords_lock_the_account_for_a_while(
    rig: ConsoleRig, anonymous: TestClient
) -> None:
    for _ in range(5):
        assert _login(anonymous, "editor", "wrong-password").status_code == 401
    locked = _login(anonymous, "editor")
    assert locked.status_code == 429
    assert error_of(locked)["code"] == "too_many_attempts"
    rig.clock.advance(minutes=16)
    assert _login(anonymous, "editor").status_code == 200


def test_a_good_login_resets_the_failure_count(anonymous: TestClient) -> None:
    for _ in range(4):
        _login(anonymous, "editor", "wrong-password")
    assert _login(anonymous, "editor").status_code == 200
    for _ in range(4):
        _login(anonymous, "editor", "wrong-password")
    assert _login(anonymous, "editor").status_code == 200


def test_empty_username_is_422_invalid_request(anonymous: TestClient) -> None:
    r = anonymous.post("/api/console/login", json={"username": "", "password": "x"})
    assert r.status_code == 422
    assert error_of(r)["code"] == "invalid_request"


def test_idle_session_expires_with_401_session_expired(
    rig: ConsoleRig, editor: TestClient
) -> None:
    rig.clock.advance(minutes=31)
    r = editor.get("/api/console/me")
    assert r.status_code == 401
    assert error_of(r)["code"] == "session_expired"


def test_activity_keeps_a_session_alive(rig: ConsoleRig, editor: TestClient) -> None:
    for _ in range(4):
        rig.clock.advance(minutes=20)
        assert editor.get("/api/console/me").status_code == 200


def test_a_session_ends_after_the_absolute_limit_even_when_active(
    rig: ConsoleRig, editor: TestClient
) -> None:
    for _ in range(8 * 3):
        rig.clock.advance(minutes=20)
        editor.get("/api/console/me")
    r = editor.get("/api/console/me")
    assert r.status_code == 401
    assert error_of(r)["code"] == "session_expired"


def test_logout_ends_the_session(editor: TestClient) -> None:
    token = editor.cookies[COOKIE]
    assert editor.post("/api/console/logout").json() == {"ok": True}
    editor.cookies.set(COOKIE, token)  # even a kept copy of the cookie no longer works
    assert error_of(editor.get("/api/console/me"))["code"] == "not_signed_in"


def test_logout_without_a_session_is_fine(anonymous: TestClient) -> None:
    assert anonymous.post("/api/console/logout").json() == {"ok": True}


def test_a_disabled_user_cannot_sign_in(rig: ConsoleRig, anonymous: TestClient) -> None:
    rig.console.auth.users.update("editor", {"active": False})
    r = _login(anonymous, "editor")
    assert r.status_code == 401
    assert error_of(r)["code"] == "invalid_credentials"


def test_login_and_logout_are_in_the_audit_log(rig: ConsoleRig, editor: TestClient) -> None:
    editor.post("/api/console/logout")
    _login(rig.client(), "editor", "wrong-password")
    items, _ = rig.console.auth.audit.search(AuditQuery(username="editor"))
    assert [i["action"] for i in items][:3] == ["login_failed", "logout", "login"]
