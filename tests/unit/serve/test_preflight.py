"""`bot serve` checks settings and addresses before it starts anything: a bad voice or
telephony setting, or a port another program holds, is one clear error naming the key,
not a traceback in the gateway's log after rasa and the action server came up."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli.serve_cmd import banner
from bot.errors import ConfigError
from bot.serve.supervisor import StartError, Supervisor, preflight
from bot.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings(tmp_path: Path, **env: str) -> Settings:
    base = {"BOT_DATA_DIR": str(tmp_path / "var"), "BOT_GATEWAY_PORT": str(free_port()),
            "BOT_ACTIONS_PORT": str(free_port()),
            "BOT_RASA_URL": f"http://127.0.0.1:{free_port()}"}
    return Settings.load(environ={**base, **env}, dotenv=None)


def test_free_addresses_and_good_settings_pass(tmp_path: Path) -> None:
    preflight(settings(tmp_path))


def test_a_taken_gateway_port_names_the_key(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        s = settings(tmp_path, BOT_GATEWAY_PORT=str(port))
        with pytest.raises(StartError, match=f"gateway cannot listen on 127.0.0.1:{port}.*"
                                             "BOT_GATEWAY_PORT"):
            preflight(s)


def test_a_taken_sip_port_names_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        monkeypatch.setenv("BOT_SIP_ENABLED", "true")
        monkeypatch.setenv("BOT_SIP_PORT", str(port))
        with pytest.raises(StartError, match=r"\(UDP\).*BOT_SIP_HOST/BOT_SIP_PORT"):
            preflight(settings(tmp_path))


@pytest.mark.parametrize(("key", "value", "message"), [
    ("BOT_ASR_WORKERS", "abc", "BOT_ASR_WORKERS='abc' is not a number"),
    ("BOT_ASR_BEAM", "0", "BOT_ASR_BEAM='0' must be a whole number 1-10"),
    ("BOT_TELEPHONY_MAX_CALLS", "0", "BOT_TELEPHONY_MAX_CALLS"),
    ("BOT_SIP_PORT", "70000", "BOT_SIP_PORT"),
    ("BOT_ASR_LM_WEIGHT", "5", "BOT_ASR_LM_WEIGHT='5' must be between 0"),
])
def test_bad_voice_and_telephony_settings_stop_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(key, value)
    s = settings(tmp_path)
    supervisor = Supervisor(s, ("actions", "gateway"))
    with pytest.raises(ConfigError, match=message):
        supervisor.start(timeout_s=5)
    assert all(part.process is None for part in supervisor.parts)  # nothing was started


def test_banner_names_the_telephony_adapters(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(tmp_path)
    assert "电话" not in banner(s)
    monkeypatch.setenv("BOT_SIP_ENABLED", "true")
    monkeypatch.setenv("BOT_AUDIOSOCKET_ENABLED", "true")
    text = banner(s)
    assert "电话（SIP）：udp 127.0.0.1:5070" in text
    assert "AudioSocket）：tcp 127.0.0.1:9092" in text


def test_a_failed_start_shows_only_its_own_log_lines(tmp_path: Path) -> None:
    """The logs are appended across starts: an old traceback must not pose as the cause."""
    from bot.serve.supervisor import Part

    log = tmp_path / "gateway.log"
    log.write_text("Traceback: an earlier start's SIP error\n", encoding="utf-8")
    part = Part("gateway", ["true"], "http://127.0.0.1:1/health", {}, log)
    part.log_offset = log.stat().st_size
    with log.open("a", encoding="utf-8") as handle:
        handle.write("ERROR: [Errno 98] address already in use\n")
    assert part.log_tail() == "ERROR: [Errno 98] address already in use"


def test_serve_says_starting_only_after_the_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from bot.cli import serve_cmd

    monkeypatch.setenv("BOT_ASR_LM_WEIGHT", "abc")
    with pytest.raises(ConfigError, match="BOT_ASR_LM_WEIGHT"):
        serve_cmd.run(argparse.Namespace(without_rasa=True), settings(tmp_path))
    assert "正在启动" not in capsys.readouterr().out
