"""The real gateway starts the phone adapters when they are configured: SIP answers an
OPTIONS ping on its port, an AudioSocket call hears the greeting, and the outcome lookup the
Asterisk dialplan reads is served; with the ports set but no adapter enabled, neither opens."""

from __future__ import annotations

import socket
import uuid

import pytest
from fastapi.testclient import TestClient

from bot.gateway.factory import build_gateway
from bot.settings import PROJECT_ROOT, Settings
from bot.telephony.audiosocket import AUDIO, HANGUP, UUID, encode_frame
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
        call = uuid.uuid4()
        with socket.create_connection(("127.0.0.1", audiosocket_port), timeout=30) as sock:
            sock.sendall(encode_frame(UUID, call.bytes))
            greeting = _first_sound(sock)
            sock.sendall(encode_frame(HANGUP))
        assert len(greeting) == 320  # a 20 ms frame of 8 kHz 16-bit audio: the greeting
        response = client.get(f"/api/telephony/calls/{call}")
        assert response.status_code == 200  # the dialplan can look the call up
        # live, or already ended by the caller's hang-up: never a transfer or an error
        assert response.json()["call_id"] == str(call)
        assert response.json()["action"] in ("active", "hangup")
        unknown = uuid.uuid4()
        response = client.get(f"/api/telephony/calls/{unknown}/action")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_no_adapter_is_started_unless_configured(tmp_path, monkeypatch) -> None:
    for key in ("BOT_SIP_ENABLED", "BOT_AUDIOSOCKET_ENABLED"):
        monkeypatch.delenv(key, raising=False)
    sip_port = free_port()
    audiosocket_port = free_port(socket.SOCK_STREAM)
    # Ports set, adapters not enabled: neither may open.
    settings = _settings(tmp_path, monkeypatch, BOT_SIP_PORT=str(sip_port),
                         BOT_AUDIOSOCKET_PORT=str(audiosocket_port))
    with TestClient(build_gateway(settings, with_rasa=False)):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", audiosocket_port), timeout=2).close()
        with pytest.raises(OSError):  # nobody answers the OPTIONS (refused or timed out)
            _options(sip_port)


def _first_sound(sock: socket.socket) -> bytes:
    """Read AudioSocket frames until an audio frame that is not silence."""
    while True:
        header = _read(sock, 3)
        payload = _read(sock, int.from_bytes(header[1:], "big"))
        assert header[0] != HANGUP, "the bot hung up before it said anything"
        if header[0] == AUDIO and any(payload):
            return payload


def _read(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "the bot closed the connection"
        data += chunk
    return data
