"""The real gateway starts the phone adapters when they are configured: SIP answers an
OPTIONS ping on its port, the AudioSocket server accepts a call, and the outcome lookup the
Asterisk dialplan reads is served; with no adapter configured, neither port is opened."""

from __future__ import annotations

import socket
import uuid

import pytest
from fastapi.testclient import TestClient

from bot.gateway.factory import build_gateway
from bot.settings import PROJECT_ROOT, Settings
from tests.integration.telephony.sip_harness import free_port

pytestmark = pytest.mark.integration

if not (PROJECT_ROOT / "build" / "index" / "CURRENT").is_file():
    pytest.skip("no FAQ index built: run `make install`", allow_module_level=True)


def _settings(tmp_path, monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    # The telephony settings are read from the environment at the edge, like the voice ones.
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.load(environ={"BOT_DATA_DIR": str(tmp_path), **env}, dotenv=None)


def _options(port: int) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        sock.sendto(_options_request(port, sock.getsockname()[1]), ("127.0.0.1", port))
        return sock.recv(4096).decode(errors="replace")


def _options_request(port: int, own_port: int) -> bytes:
    call_id = uuid.uuid4().hex
    message = (
        f"OPTIONS sip:bot@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{own_port};branch=z9hG4bK{call_id[:10]};rport\r\n"
        "From: <sip:probe@127.0.0.1>;tag=probe\r\n"
        f"To: <sip:bot@127.0.0.1:{port}>\r\n"
        f"Call-ID: {call_id}\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    return message.encode()


def test_configured_adapters_start_with_the_gateway(tmp_path, monkeypatch) -> None:
    sip_port = free_port()
    audiosocket_port = free_port(socket.SOCK_STREAM)
    settings = _settings(
        tmp_path, monkeypatch, BOT_SIP_ENABLED="true", BOT_SIP_PORT=str(sip_port),
        BOT_AUDIOSOCKET_ENABLED="true", BOT_AUDIOSOCKET_PORT=str(audiosocket_port),
    )
    with TestClient(build_gateway(settings, with_rasa=False)) as client:
        reply = _options(sip_port)
        assert reply.startswith("SIP/2.0 200")
        with socket.create_connection(("127.0.0.1", audiosocket_port), timeout=5):
            pass  # accepted (the call then ends: no UUID frame)
        unknown = uuid.uuid4()
        response = client.get(f"/api/telephony/calls/{unknown}/action")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_no_adapter_is_started_unless_configured(tmp_path, monkeypatch) -> None:
    for key in ("BOT_SIP_ENABLED", "BOT_AUDIOSOCKET_ENABLED"):
        monkeypatch.delenv(key, raising=False)
    settings = _settings(tmp_path, monkeypatch)
    with TestClient(build_gateway(settings, with_rasa=False)) as client:
        assert client.get("/api/telephony/calls/x/action").status_code == 404
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", 9092), timeout=1):
            pass
