"""Sign-in throttling by (username, client address): it must not tell which usernames exist,
and one address must not lock a user out everywhere."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from bot.console.throttle import LoginThrottle
from tests.unit.console.console_helpers import PASSWORD, ConsoleRig


def _client(rig: ConsoleRig, host: str) -> TestClient:
    c = TestClient(rig.app, raise_server_exceptions=False, client=(host, 50000))
    rig.clients.append(c)
    return c


def _attempts(client: TestClient, username: str, n: int = 6) -> list[tuple[int, dict]]:
    out = []
    for _ in range(n):
        r = client.post("/api/console/login", json={"username": username, "password": "wrong-pw"})
        out.append((r.status_code, r.json()))
    return out


def test_six_wrong_attempts_look_the_same_for_a_real_and_an_unknown_user(
    rig: ConsoleRig,
) -> None:
    real = _attempts(_client(rig, "10.0.0.1"), "editor")
    unknown = _attempts(_client(rig, "10.0.0.1"), "nobody-here")
    assert real == unknown
    assert [status for status, _ in real] == [401] * 5 + [429]
    assert real[-1][1]["error"]["code"] == "too_many_attempts"
    assert "后再试" in real[-1][1]["error"]["message"]


def test_a_lock_from_one_address_does_not_lock_another(rig: ConsoleRig) -> None:
    attacker = _client(rig, "10.0.0.66")
    assert _attempts(attacker, "editor")[-1][0] == 429
    owner = _client(rig, "10.0.0.7")
    r = owner.post("/api/console/login", json={"username": "editor", "password": PASSWORD})
    assert r.status_code == 200, r.text
    # The attacker's address stays locked, even with the right password.
    r = attacker.post("/api/console/login", json={"username": "editor", "password": PASSWORD})
    assert r.status_code == 429


def test_the_lock_ends_after_the_lockout(rig: ConsoleRig) -> None:
    client = _client(rig, "10.0.0.9")
    assert _attempts(client, "editor")[-1][0] == 429
    rig.clock.advance(minutes=16)
    r = client.post("/api/console/login", json={"username": "editor", "password": PASSWORD})
    assert r.status_code == 200


def test_an_unknown_user_costs_a_hash_like_a_real_one(rig: ConsoleRig) -> None:
    client = _client(rig, "10.0.0.10")

    def timed(username: str) -> float:
        started = time.perf_counter()
        client.post("/api/console/login", json={"username": username, "password": "wrong-pw"})
        return time.perf_counter() - started

    real = min(timed("editor") for _ in range(3))
    unknown = min(timed("nobody-here") for _ in range(3))
    assert unknown > real / 3  # both run scrypt (the tests' cheap one)


def test_the_throttle_forgets_old_entries_beyond_its_size() -> None:
    from datetime import datetime, timedelta

    throttle = LoginThrottle(max_failed=2, lockout=timedelta(minutes=1), max_entries=3)
    now = datetime(2026, 6, 1, 9, 0)
    for i in range(10):
        throttle.failed(f"u{i}", "1.1.1.1", now)
    assert len(throttle) <= 3
    assert throttle.locked_until("u9", "1.1.1.1", now) is None
    throttle.failed("u9", "1.1.1.1", now)
    assert throttle.locked_until("u9", "1.1.1.1", now) == now + timedelta(minutes=1)
    assert throttle.locked_until("u9", "2.2.2.2", now) is None
