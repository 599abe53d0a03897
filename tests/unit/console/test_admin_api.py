"""Users (admin only) and the audit log (admin; a reviewer sees only the entries' part)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.console.console_helpers import NEW, PASSWORD, ConsoleRig, error_of


def test_admin_lists_users_without_their_password_hashes(admin: TestClient) -> None:
    r = admin.get("/api/console/users")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [u["username"] for u in items] == ["admin", "editor", "manager", "reviewer"]
    assert all("password" not in str(u) and "hash" not in str(u) for u in items)
    assert items[0]["active"] is True


def test_admin_creates_a_user_who_can_sign_in(rig: ConsoleRig, admin: TestClient) -> None:
    r = admin.post("/api/console/users", json={"username": "wang.li", "role": "reviewer",
                                               "password": "a-long-secret", "display_name": "王丽"})
    assert r.status_code == 201
    assert r.json()["user"]["display_name"] == "王丽"
    assert rig.signed_in("wang.li", "a-long-secret").get("/api/console/me").json()[
        "user"]["role"] == "reviewer"


def test_a_duplicate_username_is_409(admin: TestClient) -> None:
    r = admin.post("/api/console/users", json={"username": "editor", "role": "editor",
                                               "password": "a-long-secret"})
    assert r.status_code == 409


def test_bad_user_fields_are_422_naming_the_field(admin: TestClient) -> None:
    base = {"username": "new.user", "role": "editor", "password": "a-long-secret"}
    assert error_of(admin.post("/api/console/users", json={**base, "role": "boss"}))[
        "field"] == "role"
    assert error_of(admin.post("/api/console/users", json={**base, "password": "short"}))[
        "field"] == "password"
    assert error_of(admin.post("/api/console/users", json={**base, "username": "a b"}))[
        "field"] == "username"


def test_changing_a_role_ends_that_users_sessions(rig: ConsoleRig, admin: TestClient) -> None:
    editor = rig.signed_in("editor")
    r = admin.patch("/api/console/users/editor", json={"role": "reviewer"})
    assert r.status_code == 200
    assert r.json()["user"]["role"] == "reviewer"
    assert editor.get("/api/console/me").status_code == 401
    assert rig.signed_in("editor").get("/api/console/me").json()["user"]["role"] == "reviewer"


def test_disabling_a_user(rig: ConsoleRig, admin: TestClient) -> None:
    admin.patch("/api/console/users/manager", json={"active": False})
    r = rig.client().post("/api/console/login",
                          json={"username": "manager", "password": PASSWORD})
    assert r.status_code == 401


def test_an_empty_patch_is_422(admin: TestClient) -> None:
    assert admin.patch("/api/console/users/editor", json={}).status_code == 422


def test_patching_an_unknown_user_is_404(admin: TestClient) -> None:
    assert admin.patch("/api/console/users/ghost", json={"role": "editor"}).status_code == 404


def test_only_an_admin_manages_users(editor: TestClient, reviewer: TestClient,
                                     manager: TestClient) -> None:
    for client in (editor, reviewer, manager):
        r = client.get("/api/console/users")
        assert r.status_code == 403
        assert error_of(r)["code"] == "forbidden"
    assert editor.post("/api/console/users", json={"username": "x1", "role": "admin",
                                                   "password": "a-long-secret"}).status_code == 403


def test_user_changes_are_audited_without_the_password(admin: TestClient) -> None:
    admin.patch("/api/console/users/editor", json={"password": "another-secret"})
    item = admin.get("/api/console/audit", params={"entity": "user:editor"}).json()["items"][0]
    assert item["action"] == "user_updated"
    assert item["after"]["changed"] == {"password": "***"}
    assert "another-secret" not in str(item)


def test_audit_filters_by_user_and_pages(admin: TestClient, editor: TestClient) -> None:
    editor.post("/api/console/entries", json=NEW)
    body = admin.get("/api/console/audit", params={"user": "editor"}).json()
    assert [i["action"] for i in body["items"]] == ["entry_created", "login"]
    assert body["total"] == 2
    page = admin.get("/api/console/audit", params={"page": 2, "page_size": 1,
                                                   "user": "editor"}).json()
    assert [i["action"] for i in page["items"]] == ["login"]


def test_a_reviewer_sees_only_the_entries_audit(reviewer: TestClient, editor: TestClient) -> None:
    editor.post("/api/console/entries", json=NEW)
    body = reviewer.get("/api/console/audit").json()
    assert body["items"] and all(i["entity"].startswith("entry:") for i in body["items"])
    assert reviewer.get("/api/console/audit", params={"entity": "user:editor"}).status_code == 403


def test_an_editor_cannot_read_the_audit_log(editor: TestClient) -> None:
    assert editor.get("/api/console/audit").status_code == 403
