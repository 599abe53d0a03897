"""Shared pieces of the SIP integration tests: a recording acceptor (the bot side, storing
what the adapter hands it), sipp and other real processes run under a timeout and ended by
their pid, G.711 copies of a real Mandarin recording made with sox at test time, and
small RTP tools (a capture socket, signal comparison)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import string
import struct
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from bot.settings import PROJECT_ROOT
from bot.telephony.call import CallControl
from bot.telephony.sip.message import SipMessage, SipParseError
from bot.telephony.sip.message import parse as parse_sip
from bot.telephony.sip.options import SipOptions
from bot.telephony.sip.rtp import RtpPacket
from bot.telephony.sip.server import sip_agent
from bot.telephony.sip.transaction import Timers
from bot.telephony.sip.ua import UserAgent

SIPP_DIR = Path(__file__).parent / "sipp"
SPEECH = Path(os.environ.get("BOT_SPEECH_DATA", PROJECT_ROOT.parent / "shared" / "data" / "speech"))
# AISHELL-1 test (Apache-2.0), 4.2 s: short, to keep the shared CPUs free
SAMPLE = "aishell1_test_dev/BAC009S0764W0121.wav"
SAMPLE_TEXT = "甚至出现交易几乎停滞的情况"
DTMF_PCAP = Path("/usr/share/sip-tester/dtmf_2833_1.pcap")


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(
            f"{tool} is not installed (Debian package {package}; see scripts/install-system.sh)"
        )
    return path


def speech_sample() -> Path:
    path = SPEECH / SAMPLE
    if not path.is_file():
        pytest.skip(f"no real recording at {path} (see ../shared/data/speech/README.md)")
    return path


def g711_copy(source: Path, folder: Path, law: str, pad: tuple[float, float] = (0, 0)) -> Path:
    """An 8 kHz G.711 WAV (A-law or mu-law bytes, as sipp's rtp_stream wants), with
    `pad` seconds of silence before and after."""
    need("sox", "sox")
    out = folder / f"caller-{law}-{pad[0]}-{pad[1]}.wav"
    encoding = {"PCMA": "a-law", "PCMU": "u-law"}[law]
    cmd = ["sox", str(source), "-r", "8000", "-c", "1", "-e", encoding, str(out)]
    if any(pad):
        cmd += ["pad", str(pad[0]), str(pad[1])]
    subprocess.run(cmd, check=True, timeout=30, capture_output=True)
    return out


def pcm16_copy(source: Path, folder: Path, seconds_silence: float = 0.0) -> Path:
    """An 8 kHz 16-bit WAV, optionally padded with silence (baresip's aufile hangs up at
    the end of its file)."""
    need("sox", "sox")
    out = folder / "caller-pcm16.wav"
    cmd = [
        "sox",
        str(source),
        "-r",
        "8000",
        "-c",
        "1",
        "-b",
        "16",
        "-e",
        "signed-integer",
        str(out),
    ]
    if seconds_silence:
        cmd += ["pad", "0", str(seconds_silence)]
    subprocess.run(cmd, check=True, timeout=30, capture_output=True)
    return out


def wav_frames(path: Path) -> bytes:
    """The data chunk of a WAV file, whatever its format (the wave module reads only PCM;
    these hold G.711 bytes)."""
    data = path.read_bytes()
    offset = 12
    while offset + 8 <= len(data):
        name, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        if name == b"data":
            if size == 0 or offset + 8 + size > len(data):  # a header not finalised yet
                size = len(data) - offset - 8
            return data[offset + 8 : offset + 8 + size]
        offset += 8 + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def free_port(kind: int = socket.SOCK_DGRAM, even: bool = False) -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not even or port % 2 == 0:
            return port
    raise RuntimeError("no free port")


def scenario(name: str, folder: Path, **values: object) -> Path:
    """A sipp scenario from tests/integration/telephony/sipp, with $placeholders filled
    (sipp's own [keywords] do not reach <exec> attributes)."""
    text = string.Template((SIPP_DIR / name).read_text(encoding="utf-8")).substitute(values)
    out = folder / name
    out.write_text(text, encoding="utf-8")
    return out


@dataclass
class Proc:
    returncode: int
    output: str


async def run_process(cmd: list[str], timeout: float, cwd: Path | None = None) -> Proc:
    """Run a process to its end under `timeout`; on expiry it is killed by its pid."""
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        out, _ = await proc.communicate()
        return Proc(-9, out.decode("utf-8", "replace") + "\n[killed: timeout]")
    return Proc(proc.returncode or 0, out.decode("utf-8", "replace"))


async def sipp(
    scenario_file: Path, target: str, *args: str, timeout: float = 40.0, port: int | None = None
) -> Proc:
    """One sipp call (-m 1) from scenario_file to target, SIP and errors traced to files
    (their tails come back in the output). `port`: sipp's own SIP port (a UAS's)."""
    port = port or free_port()
    cmd = [
        need("sipp", "sip-tester"),
        "-sf",
        str(scenario_file),
        "-m",
        "1",
        "-l",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-nostdin",
        "-timeout",
        f"{int(timeout) - 5}s",
        "-timeout_error",
        "-trace_err",
        "-trace_msg",
        "-mi",
        "127.0.0.1",
        "-mp",
        str(free_port(even=True)),
        *args,
        target,
    ]
    result = await run_process(cmd, timeout, cwd=scenario_file.parent)
    logs = sorted(scenario_file.parent.glob(f"{scenario_file.stem}_*"))
    extra = "".join(f"\n--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in logs)
    return Proc(result.returncode, result.output[-3000:] + extra)


# --- the bot side ----------------------------------------------------------------------
@dataclass
class RecordingHandler:
    control: CallControl
    audio: bytearray = field(default_factory=bytearray)
    keys: list[str] = field(default_factory=list)
    hangups: list[str] = field(default_factory=list)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    got_key: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_audio(self, pcm: bytes) -> None:
        self.audio += pcm

    async def on_dtmf(self, digit: str) -> None:
        self.keys.append(digit)
        self.got_key.set()

    async def on_hangup(self, reason: str) -> None:
        self.hangups.append(reason)
        self.ended.set()


class RecordingAcceptor:
    """A CallAcceptor that keeps every call's handler; `then` runs per call after accept
    (play a greeting, hang up, transfer ...)."""

    def __init__(self, then: Callable[[RecordingHandler], Awaitable[None]] | None = None) -> None:
        self.handlers: list[RecordingHandler] = []
        self.accepted = asyncio.Event()
        self._then = then
        self.tasks: list[asyncio.Task[None]] = []

    async def accept(self, control: CallControl) -> RecordingHandler:
        handler = RecordingHandler(control)
        self.handlers.append(handler)
        self.accepted.set()
        if self._then is not None:
            self.tasks.append(asyncio.get_running_loop().create_task(self._then(handler)))
        return handler


def bot_options(**overrides: object) -> SipOptions:
    base: dict[str, object] = dict(
        host="127.0.0.1",
        port=0,
        rtp_ports=(41000, 41999),
        answer_delay_s=0.05,
        rtp_timeout_s=8.0,
        timers=Timers(t1=0.25, t2=2.0),
    )
    base.update(overrides)
    return SipOptions(**base)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def bot(acceptor: RecordingAcceptor, **overrides: object) -> AsyncIterator[UserAgent]:
    async with sip_agent(bot_options(**overrides), acceptor) as ua:
        yield ua


# --- signals ---------------------------------------------------------------------------
def tone(seconds: float, hz: float = 440.0, level: float = 8000.0) -> bytes:
    t = np.arange(int(8000 * seconds)) / 8000
    return (level * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes()


def rms(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(x**2))) if len(x) else 0.0


def best_correlation(sent: bytes, got: bytes) -> tuple[float, int]:
    """The normalised correlation of `got` with `sent` at the best lag (in samples)."""
    a = np.frombuffer(sent, dtype="<i2").astype(np.float64)
    b = np.frombuffer(got, dtype="<i2").astype(np.float64)
    n = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    xc = np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)
    lag = int(np.argmax(xc))
    lag = lag if lag < n // 2 else lag - n
    shifted = b[lag:] if lag >= 0 else np.concatenate([np.zeros(-lag), b])
    m = min(len(a), len(shifted))
    x, y = a[:m], shifted[:m]
    denom = np.sqrt(np.sum(x**2) * np.sum(y**2))
    return (float(np.sum(x * y) / denom) if denom else 0.0), lag


class RtpCapture(asyncio.DatagramProtocol):
    """Receives the bot's RTP for analysis, and sends a little silence back from the same
    port so the bot learns this address (it answers where the peer's RTP comes from)."""

    def __init__(self) -> None:
        self.packets: list[tuple[float, RtpPacket]] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        packet = RtpPacket.parse(data)
        if packet is not None:
            self.packets.append((asyncio.get_running_loop().time(), packet))

    def send_silence(self, to: tuple[str, int], pt: int, count: int, seq0: int = 0) -> None:
        assert self.transport is not None
        for i in range(count):
            payload = bytes([0xD5 if pt == 8 else 0xFF]) * 160
            self.transport.sendto(
                RtpPacket(pt, seq0 + i, 160 * (seq0 + i), 0x1234, payload).to_bytes(), to
            )


def run(coro: Awaitable[object], timeout: float = 90.0) -> object:
    """Run one test's coroutine on a fresh event loop, under an overall limit."""

    async def limited() -> object:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(limited())


class RawSip(asyncio.DatagramProtocol):
    """A bare UDP socket speaking SIP text, for what no well-behaved client sends."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[SipMessage] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0

    @classmethod
    async def open(cls) -> RawSip:
        raw = cls()
        await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: raw, local_addr=("127.0.0.1", 0)
        )
        return raw

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self.inbox.put_nowait(parse_sip(data))
        except SipParseError as err:  # a 400 to a request without Call-ID has none either
            if err.partial is not None:
                self.inbox.put_nowait(err.partial)

    def send(self, data: bytes | str, to: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(data.encode() if isinstance(data, str) else data, to)

    async def recv(self, timeout: float = 2.0) -> SipMessage | None:
        try:
            return await asyncio.wait_for(self.inbox.get(), timeout)
        except TimeoutError:
            return None

    async def final(self, call_id: str, timeout: float = 3.0) -> SipMessage | None:
        """The next final response for `call_id` (provisionals, retransmissions of
        other calls' answers skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            msg = await self.recv(left)
            if msg is None:
                return None
            if msg.status >= 200 and msg.call_id == call_id:
                return msg
        return None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


SDP_PCMA = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
)


def invite_text(
    raw_port: int,
    bot_port: int,
    call_id: str,
    branch: str,
    rtp_port: int = 4000,
    drop: tuple[str, ...] = (),
    replace: dict[str, str] | None = None,
    body: str | None = None,
) -> str:
    """A well-formed INVITE as text, with headers dropped or replaced to break it."""
    sdp = SDP_PCMA.format(port=rtp_port) if body is None else body
    headers = {
        "Via": f"SIP/2.0/UDP 127.0.0.1:{raw_port};branch={branch};rport",
        "From": f"<sip:13800000000@127.0.0.1:{raw_port}>;tag=t{branch[-6:]}",
        "To": f"<sip:bot@127.0.0.1:{bot_port}>",
        "Call-ID": call_id,
        "CSeq": "1 INVITE",
        "Contact": f"<sip:13800000000@127.0.0.1:{raw_port}>",
        "Max-Forwards": "70",
        "Content-Type": "application/sdp",
        "Content-Length": str(len(sdp.encode())),
    }
    headers.update(replace or {})
    lines = [f"INVITE sip:bot@127.0.0.1:{bot_port} SIP/2.0"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k not in drop]
    return "\r\n".join(lines) + "\r\n\r\n" + sdp


def in_dialog_text(
    method: str, raw_port: int, bot_port: int, response: SipMessage, branch: str, cseq: int
) -> str:
    """ACK or BYE for a call the raw socket placed, from the bot's response."""
    return "\r\n".join(
        [
            f"{method} sip:bot@127.0.0.1:{bot_port} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{raw_port};branch={branch};rport",
            f"From: {response.get('From')}",
            f"To: {response.get('To')}",
            f"Call-ID: {response.call_id}",
            f"CSeq: {cseq} {method}",
            "Max-Forwards: 70",
            "Content-Length: 0",
            "",
            "",
        ]
    )


# --- Kamailio and baresip ----------------------------------------------------------------
@contextlib.asynccontextmanager
async def kamailio(port: int, folder: Path) -> AsyncIterator[Path]:
    """Kamailio's stock configuration (proxy, in-memory registrar, Record-Route) on
    udp:127.0.0.1:port, its runtime files in `folder`; ended by its pid."""
    binary = shutil.which("kamailio") or (
        "/usr/sbin/kamailio" if Path("/usr/sbin/kamailio").exists() else None
    )
    config = Path("/etc/kamailio/kamailio.cfg")
    if binary is None or not config.is_file():
        pytest.skip(
            "kamailio is not installed (Debian package kamailio; see scripts/install-system.sh)"
        )
    log = folder / "kamailio.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            binary,
            "-DD",
            "-E",
            "-f",
            str(config),
            "-l",
            f"udp:127.0.0.1:{port}",
            "-n",
            "2",
            "-Y",
            str(folder),
            "-w",
            str(folder),
            "-m",
            "32",
            "-M",
            "4",
            stdout=out,
            stderr=out,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        await _wait_for_udp(port, proc, log)
        yield log
    finally:
        await _end(proc, group=True)


async def _wait_for_udp(port: int, proc: asyncio.subprocess.Process, log: Path) -> None:
    """Until something answers an OPTIONS on the port (Kamailio takes a moment)."""
    loop = asyncio.get_running_loop()
    raw = await RawSip.open()
    try:
        for n in range(50):
            if proc.returncode is not None:
                raise RuntimeError(f"kamailio exited: {log.read_text(errors='replace')[-2000:]}")
            text = (
                invite_text(raw.port, port, f"ping{n}", f"z9hG4bKping{n}")
                .replace("INVITE", "OPTIONS")
                .replace("sip:bot@", "sip:")
            )
            raw.send(text, ("127.0.0.1", port))
            if await raw.final(f"ping{n}", 0.2) is not None:
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("kamailio did not answer OPTIONS within 15 s")
    finally:
        raw.close()
        del loop


async def _end(proc: asyncio.subprocess.Process, group: bool = False) -> None:
    """SIGTERM by pid, then SIGKILL (the process group it leads, for forking daemons)."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                if group:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    os.kill(proc.pid, signal.SIGKILL)
            await proc.wait()


BARESIP_CONFIG = """\
poll_method epoll
sip_listen 127.0.0.1:{sip_port}
audio_player alsa,null
audio_alert alsa,null
audio_source aufile,{source}
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module sndfile.so
module alsa.so
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
snd_path {folder}
"""


@dataclass
class Baresip:
    proc: asyncio.subprocess.Process
    folder: Path
    ctrl_port: int
    log: Path

    async def command(self, command: str, params: str = "") -> None:
        """A ctrl_tcp command (netstring-framed JSON); retried while baresip starts."""
        import json

        payload = json.dumps({"command": command, "params": params, "token": command}).encode()
        for _ in range(50):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.ctrl_port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.write(str(len(payload)).encode() + b":" + payload + b",")
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader.read(4096), 1.0)
            writer.close()
            return
        raise RuntimeError("baresip's ctrl_tcp did not open")

    async def key(self, key: str) -> None:
        """Press a key during the call: the menu's `sndcode` over ctrl_tcp, the connection
        the dial went through (keystrokes sent to the cons module's UDP port, which was
        picked free before baresip started, once went nowhere in a full test run)."""
        await self.command("sndcode", key)

    def decoded(self) -> list[Path]:
        """What baresip heard from each call (sndfile's *-dec.wav)."""
        return sorted(self.folder.glob("*-dec.wav"))


@contextlib.asynccontextmanager
async def baresip(folder: Path, source: Path, seconds: int = 40) -> AsyncIterator[Baresip]:
    binary = need("baresip", "baresip-core")
    folder.mkdir(parents=True, exist_ok=True)
    sip_port, ctrl_port = free_port(), free_port(socket.SOCK_STREAM)
    (folder / "config").write_text(
        BARESIP_CONFIG.format(
            sip_port=sip_port,
            source=source,
            ctrl_port=ctrl_port,
            folder=folder,
        )
    )
    (folder / "accounts").write_text("<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMA,PCMU\n")
    log = folder / "baresip.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            binary,
            "-n",
            "127.0.0.1",
            "-f",
            str(folder),
            "-t",
            str(seconds),
            cwd=folder,
            stdout=out,
            stderr=out,
            stdin=asyncio.subprocess.DEVNULL,
        )
    try:
        yield Baresip(proc, folder, ctrl_port, log)
    finally:
        await _end(proc)
