"""Phone calls end to end over the Asterisk AudioSocket adapter (and, with --sip, the SIP
adapter: INVITE, PCMU RTP, REFER): the latency a caller hears, barge-in, how many calls 2
cores carry, CPU per call.

The bot runs in a child process (as it would beside Asterisk): CallBot + AudioSocketServer
with the real recognizer (Whisper base unless --engine fake: an energy-triggered stand-in
that isolates the telephony path), ConversationService in degraded mode (no rasa; the
real FAQ engine when its index is built, else one that answers everything), SQLite and
espeak-ng. This process is Asterisk: it streams real Mandarin recordings from
../shared/data/speech (telephone band: 8 kHz, G.711 mu-law and back) in 20 ms frames in
real time, and keeps sending silence while it waits, as a live channel does.

- latency: end of the caller's speech (the end of the last 20 ms frame holding speech) to
  the arrival of the first answer frame that carries sound. Target p50 <= 1.5 s.
- barge-in: the caller starts talking 0.5 s into the greeting; from the start of the first
  frame of speech to the end of the last greeting frame heard. Target <= 300 ms. Both
  include the recognizer's own endpointing: Silero needs 0.2 s of speech to start and
  0.7 s of silence to end an utterance (the fake: 0.1 s and 0.5 s).
- concurrency: N callers at once, each asks --turns questions, the next once the bot has been
  silent for 1.5 s (calling again when the bot
  handed it to an agent: AISHELL's news sentences are no hotline questions, so the real
  FAQ engine hands most over); N is carried while the p95 answer latency stays <= 2 s
  and every question is answered. Target >= 4.
- CPU: the child's user + system seconds (/proc, its threads and espeak-ng children
  included) per call and per answered question at each N.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_telephony.py   # results/bench_telephony.json
    .venv/bin/python bench/bench_telephony.py --engine fake --streams 1 4 8   # no ASR
    .venv/bin/python bench/bench_telephony.py --sip --calls 3 --streams 1 2   # both adapters
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.settings import PROJECT_ROOT, Settings  # noqa: E402

DATA = Path(os.environ.get("BOT_SPEECH_DATA", PROJECT_ROOT.parent / "shared" / "data" / "speech"))
FOLDERS = ("funasr_examples/sample.wav", "aishell1_test_dev/")
FRAME = 320  # 20 ms of 8 kHz 16-bit
FRAME_S = 0.02
SOUND_RMS = 200.0  # a frame louder than this carries sound (the bot sends no comfort noise)
ANSWER_TIMEOUT_S = 120.0
QUESTION = "身份证丢了怎么补办"


# -- the bot (child process) -------------------------------------------------------------

def serve(args: argparse.Namespace) -> None:
    import logging

    from bot.gateway.conversation import ConversationService
    from bot.store.sql import SqlStore
    from bot.telephony.audiosocket import AudioSocketServer
    from bot.telephony.config import TelephonySettings
    from bot.telephony.flow import CallBot
    from bot.telephony.service import start_telephony
    from bot.voice.config import VoiceSettings
    from bot.voice.factory import make_transcriber
    from bot.voice.fake import EnergyTranscriber
    from bot.voice.service import VoiceService
    from bot.voice.tts import EspeakSynthesizer

    logging.basicConfig(level=logging.WARNING, format="bot: %(levelname)s %(name)s %(message)s")
    settings = Settings.load()
    engine, faq = _engine(settings, args.faq)
    store = SqlStore(f"sqlite:///{args.serve}")
    conversation = ConversationService(None, engine, store, settings.max_message_chars)
    transcriber: Any = (
        EnergyTranscriber(text=QUESTION, partials=False) if args.engine == "fake"
        else make_transcriber(VoiceSettings.load(settings), settings.kb_dir, "whisper")
    )
    voice = VoiceService(conversation, transcriber, EspeakSynthesizer(), store, max_calls=999)
    bot = CallBot(voice, TelephonySettings(max_calls=args.max_calls), store)
    bot.warm_up()
    if hasattr(engine, "ask"):
        engine.ask(QUESTION)  # the embedder's first call is slow

    async def run() -> None:
        server = await AudioSocketServer(bot, "127.0.0.1", 0, media_timeout_s=300).start()
        sip = None
        if args.sip_port:
            sip_settings = TelephonySettings(sip_enabled=True, sip_port=args.sip_port)
            sip = await start_telephony(sip_settings, bot)
        print(json.dumps({"port": server.port, "sip_port": args.sip_port, "faq": faq,
                          "engine": transcriber.name}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until EOF
        await server.close()
        if sip is not None:
            await sip.close()

    asyncio.run(run())


def _engine(settings: Settings, wanted: str) -> tuple[Any, str]:
    if wanted in ("auto", "real"):
        try:
            from bot.engine.service import FaqService

            service = FaqService.from_settings(settings).load()
            return service, f"real ({service.version})"
        except Exception as err:  # noqa: BLE001 - a bench without the index still runs
            if wanted == "real":
                raise
            print(f"bench: no FAQ index ({err}); an engine that answers everything",
                  file=sys.stderr)
    from bot.engine.types import Decision, FaqMatch, FaqResult

    class AnswerEverything:
        version = "fake"

        def ask(self, text: str) -> FaqResult:
            answer = "携带户口簿到户籍所在地派出所申请补领临时身份证和正式身份证。"
            match = FaqMatch("SFZ001", 0.9, QUESTION, QUESTION, answer, "户政", "公安局", 0.9)
            return FaqResult(text, text, Decision.ANSWER, (match,), 1.0, "fake")

        def entry(self, faq_id: str) -> None:
            return None

    return AnswerEverything(), "fake"


def free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_cpu_s(pid: int) -> float:
    """User + system seconds of a process, its threads and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


# -- the caller (this process, playing Asterisk) -----------------------------------------

class Caller:
    def __init__(self, port: int) -> None:
        self.port = port
        self.frames: list[tuple[float, float]] = []  # (arrival, rms) of each audio frame
        self.closed = False
        self.speech_sent = 0.0  # when the first speech frame of the last stream went out

    async def __aenter__(self) -> Caller:
        from bot.telephony.audiosocket import UUID, encode_frame

        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(encode_frame(UUID, uuid.uuid4().bytes))
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        from bot.telephony.audiosocket import HANGUP, encode_frame

        if not self.closed:
            self.writer.write(encode_frame(HANGUP))
        self.writer.close()
        self._task.cancel()

    async def _read(self) -> None:
        try:
            while True:
                header = await self.reader.readexactly(3)
                payload = await self.reader.readexactly(int.from_bytes(header[1:], "big"))
                if header[0] == 0x10:
                    rms = float(np.sqrt(np.mean(np.frombuffer(payload, "<i2").astype(float) ** 2)))
                    self.frames.append((time.monotonic(), rms))
                elif header[0] == 0x00:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        self.closed = True

    def send(self, frame: bytes) -> float:
        from bot.telephony.audiosocket import AUDIO, encode_frame

        self.writer.write(encode_frame(AUDIO, frame))
        return time.monotonic()

    def sound_after(self, t: float) -> float | None:
        """Arrival of the first frame with sound that starts a reply after `t`: a reply to
        an earlier part of the speech (the VAD cut at a pause) still playing is skipped."""
        previous = -1.0
        for at, rms in self.frames:
            if rms <= SOUND_RMS:
                continue
            if at > t and at - previous > 0.6:  # longer than espeak's pauses: a new reply
                return at
            previous = at
        return None

    async def stream(self, pcm: bytes, speech: tuple[int, int]) -> tuple[float, float]:
        """Send in real time; returns when the first and the last speech frame went out."""
        start, first, last = time.monotonic(), 0.0, 0.0
        for n, i in enumerate(range(0, len(pcm), FRAME)):
            sent = self.send(pcm[i : i + FRAME])
            if n == speech[0]:
                first = self.speech_sent = sent
            last = sent if n == speech[1] else last
            await asyncio.sleep(max(0.0, start + (n + 1) * 0.02 - time.monotonic()))
        return first, last

    async def idle_until(self, done: Any, timeout_s: float) -> bool:
        """Silence frames every 20 ms until done() (False on timeout or hang-up)."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if self.closed or time.monotonic() > deadline:
                return False
            self.send(b"\x00" * FRAME)
            await asyncio.sleep(0.02)
        return True

    def quiet_for(self, seconds: float) -> bool:
        """The bot said something and has been silent for `seconds` (an RTP stream may
        go on with silence, so silent frames count as quiet)."""
        loud = [at for at, rms in self.frames if rms > SOUND_RMS]
        return bool(loud) and time.monotonic() - loud[-1] > seconds


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, on_data: Any) -> None:
        self.on_data = on_data

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.on_data(data, addr)


class SipCaller(Caller):
    """The same caller as a plain SIP trunk would bring it: INVITE with PCMU, RTP both
    ways (20 ms, mu-law), REFER accepted (202 + NOTIFY 200) as a transfer, BYE at the end."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.call_id, self.tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
        self._answer: asyncio.Future[str] | None = None
        self.seq, self.ssrc, self.remote_tag = 0, 0x4D2, ""

    async def __aenter__(self) -> Caller:
        loop = asyncio.get_running_loop()
        self._answer = loop.create_future()
        self.sig, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self._on_sip), local_addr=("127.0.0.1", 0))
        self.rtp, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self._on_rtp), local_addr=("127.0.0.1", 0))
        self.me = self.sig.get_extra_info("sockname")[1]
        sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {self.rtp.get_extra_info('sockname')[1]} RTP/AVP 0 101\r\n"
               "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n")
        self._request("INVITE", 1, sdp, "Content-Type: application/sdp\r\n")
        answer = await asyncio.wait_for(self._answer, 10)
        media = next(line for line in answer.splitlines() if line.startswith("m=audio"))
        self.remote_rtp = ("127.0.0.1", int(media.split()[1]))
        self._request("ACK", 1)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.closed:
            self._request("BYE", 2)
            await asyncio.sleep(0.1)
        self.closed = True
        self.sig.close()
        self.rtp.close()

    def _request(self, method: str, cseq: int, body: str = "", extra: str = "") -> None:
        to_tag = f";tag={self.remote_tag}" if self.remote_tag and method != "INVITE" else ""
        text = (f"{method} sip:bot@127.0.0.1:{self.port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{self.me};branch=z9hG4bK{uuid.uuid4().hex[:12]}"
                ";rport\r\nMax-Forwards: 70\r\n"
                f"From: <sip:bench@127.0.0.1:{self.me}>;tag={self.tag}\r\n"
                f"To: <sip:bot@127.0.0.1:{self.port}>{to_tag}\r\n"
                f"Call-ID: {self.call_id}\r\nCSeq: {cseq} {method}\r\n"
                f"Contact: <sip:bench@127.0.0.1:{self.me}>\r\n{extra}"
                f"Content-Length: {len(body.encode())}\r\n\r\n{body}")
        self.sig.sendto(text.encode(), ("127.0.0.1", self.port))

    def _on_sip(self, data: bytes, addr: tuple[str, int]) -> None:
        text = data.decode("utf-8", "replace")
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        if lines[0].startswith("SIP/2.0 "):
            status = int(lines[0].split()[1])
            cseq = next((h for h in lines if h.lower().startswith("cseq:")), "")
            if "INVITE" in cseq and status >= 200 and self._answer and not self._answer.done():
                to = next(h for h in lines if h.lower().startswith(("to:", "t:")))
                self.remote_tag = to.split("tag=")[-1].split(";")[0] if "tag=" in to else ""
                if status == 200:
                    self._answer.set_result(body)
                else:
                    self._answer.set_exception(RuntimeError(lines[0]))
            return
        method = lines[0].split()[0]  # a request from the bot: answer it from its headers
        keep = [h for h in lines[1:] if h.lower().split(":")[0] in
                ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")]
        code = "202 Accepted" if method == "REFER" else "200 OK"
        reply = "\r\n".join([f"SIP/2.0 {code}", *keep, "Content-Length: 0", "", ""])
        self.sig.sendto(reply.encode(), addr)
        if method == "REFER":  # the transfer "succeeded": tell the bot, then it hangs up
            frag = "SIP/2.0 200 OK\r\n"
            self._request("NOTIFY", 3, frag, "Event: refer\r\nSubscription-State: "
                          "terminated;reason=noresource\r\nContent-Type: message/sipfrag\r\n")
            self.closed = True
        elif method == "BYE":
            self.closed = True

    def _on_rtp(self, data: bytes, addr: tuple[str, int]) -> None:
        from bot.voice.g711 import ulaw_to_pcm16

        if len(data) < 12 or data[1] & 0x7F != 0:
            return  # telephone events and the like
        pcm = np.frombuffer(ulaw_to_pcm16(data[12 + 4 * (data[0] & 0x0F):]), "<i2")
        self.frames.append((time.monotonic(), float(np.sqrt(np.mean(pcm.astype(float) ** 2)))))

    def send(self, frame: bytes) -> float:
        from bot.voice.g711 import pcm16_to_ulaw

        self.seq += 1
        header = bytes((0x80, 0)) + (self.seq & 0xFFFF).to_bytes(2, "big")
        header += (self.seq * 160 & 0xFFFFFFFF).to_bytes(4, "big") + self.ssrc.to_bytes(4, "big")
        if not self.closed:
            self.rtp.sendto(header + pcm16_to_ulaw(frame), self.remote_rtp)
        return time.monotonic()


def load_recordings(limit: int) -> list[tuple[str, bytes, tuple[int, int]]]:
    """(name, 8 kHz telephone-band PCM with 0.3 s before and 0.2 s after, speech frames)."""
    from bot.voice.audio import decode_file, resample_pcm
    from bot.voice.g711 import pcm16_to_ulaw, ulaw_to_pcm16

    manifest = DATA / "manifest.csv"
    if not manifest.is_file():
        sys.exit(f"no recordings: {manifest} is missing (see ../shared/data/speech/README.md)")
    with manifest.open(encoding="utf-8") as handle:
        names = [row["file"] for row in csv.DictReader(handle)]
    picked = [n for prefix in FOLDERS for n in names if n.startswith(prefix)][:limit]
    out = []
    for name in picked:
        narrow = ulaw_to_pcm16(pcm16_to_ulaw(resample_pcm(decode_file(DATA / name).pcm,
                                                          16000, 8000)))
        # Speech is found in the recording itself: the digital silence added around it
        # would set the noise floor 25 dB too low and count a quiet tail as speech.
        first, last = speech_frames(narrow)
        lead = 4800 // FRAME  # frames of the 0.3 s before
        out.append((name, b"\x00" * 4800 + narrow + b"\x00" * 3200, (first + lead, last + lead)))
    return out


def speech_frames(pcm: bytes) -> tuple[int, int]:
    """First and last frame of speech: where the level stays, for 60 ms, within 20 dB of
    the recording's peak and 15 dB above its noise floor (a breath or a click does not)."""
    frames = np.frombuffer(pcm[: len(pcm) - len(pcm) % FRAME], "<i2").reshape(-1, 160)
    rms = np.sqrt(np.mean(frames.astype(float) ** 2, axis=1))
    db = 20 * np.log10(np.maximum(rms, 1.0) / 32768)
    voiced = db >= max(db.max() - 20, np.percentile(db, 5) + 15)
    runs = [i for i in range(len(db) - 2) if voiced[i : i + 3].all()]
    return runs[0], runs[-1] + 2


async def ask(caller: Caller, recording: tuple[str, bytes, tuple[int, int]]) -> float | None:
    _, pcm, speech = recording
    _, ended = await caller.stream(pcm, speech)
    if not await caller.idle_until(lambda: caller.sound_after(ended) is not None,
                                   ANSWER_TIMEOUT_S):
        return None
    answered = caller.sound_after(ended)
    assert answered is not None
    return answered - (ended + FRAME_S)  # the frame went out at the start of its 20 ms


async def latency_phase(dial: Any, recordings: list[Any]) -> list[float | None]:
    results = []
    for recording in recordings:
        async with dial() as caller:
            await caller.idle_until(lambda c=caller: c.quiet_for(1.5), 60)  # the greeting
            results.append(await ask(caller, recording))
        await asyncio.sleep(1.0)
    return results


async def barge_in_phase(dial: Any, recordings: list[Any], times: int) -> list[float | None]:
    results: list[float | None] = []
    for n in range(times):
        _, pcm, speech = recordings[n % len(recordings)]
        async with dial() as caller:
            await caller.idle_until(lambda c=caller: len(c.frames) >= 25, 30)  # 0.5 s in
            caller.speech_sent = 0.0
            task = asyncio.create_task(caller.stream(pcm, speech))
            await caller.idle_until(lambda c=caller: c.speech_sent > 0, 10)
            sent = caller.speech_sent
            # 1.5 s on: long enough to see a stop, too soon for the answer to this speech
            await asyncio.sleep(max(0.0, sent + 1.5 - time.monotonic()))
            task.cancel()
            heard = [at for at, rms in caller.frames
                     if sent - 0.1 <= at <= sent + 1.5 and rms > SOUND_RMS]
            # Speech began 20 ms before a live channel would send that frame (it is sent
            # here at the start of its 20 ms), and the last frame heard lasts 20 ms.
            reaction = heard[-1] + FRAME_S - (sent - FRAME_S) if heard else -1.0
            # Still playing at the end of the window: nothing was stopped.
            results.append(reaction if 0 <= reaction <= 1.3 else None)
        await asyncio.sleep(3.0)  # the utterance is still being transcribed in the bot
    return results


async def concurrency_level(dial: Any, recordings: list[Any], streams: int, turns: int,
                            pid: int) -> dict[str, Any]:
    latencies: list[float] = []
    answers: list[tuple[str, int, float | None]] = []  # recording, turn, latency
    missed = calls = 0

    async def one(index: int) -> None:
        """`turns` questions; a caller the bot handed to an agent calls again."""
        nonlocal missed, calls
        turn = 0
        while turn < turns:
            async with dial() as caller:
                calls += 1
                # After the greeting (with 0.4 s, a pause in it let a quiet caller talk
                # over its rest, and the answer was taken for the greeting's tail).
                await caller.idle_until(lambda c=caller: c.quiet_for(1.5), 60)
                while turn < turns and not caller.closed:
                    recording = recordings[(index + turn) % len(recordings)]
                    latency = await ask(caller, recording)
                    answers.append((recording[0], turn, latency))
                    turn += 1
                    if latency is None:
                        missed += 1
                        continue
                    latencies.append(latency)
                    # The bot has finished: 1.5 s without sound (its pauses are shorter).
                    # With less, a caller who paused mid-question (the bot answered both
                    # halves) asked the next one over the second answer, and that answer's
                    # delay was counted for the next question.
                    await caller.idle_until(lambda c=caller: c.quiet_for(1.5), 60)

    cpu, wall = child_cpu_s(pid), time.monotonic()
    await asyncio.gather(*(one(i) for i in range(streams)))
    cpu, wall = child_cpu_s(pid) - cpu, time.monotonic() - wall
    p95 = pct(latencies, 95)
    return {"streams": streams, "calls": calls, "answered": len(latencies), "missed": missed,
            "latency_p50_s": pct(latencies, 50), "latency_p95_s": p95,
            "kept_up": missed == 0 and p95 is not None and p95 <= 2.0,
            "cpu_s_per_call": round(cpu / max(1, calls), 2),
            "cpu_s_per_answer": round(cpu / max(1, len(latencies)), 2),
            "cpu_share": round(cpu / wall / (os.cpu_count() or 1), 2), "wall_s": round(wall, 1),
            "answers": [{"recording": r, "turn": t, "latency_s": None if x is None else round(x, 3)}
                        for r, t, x in answers]}


def pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def tone_utterance() -> list[tuple[str, bytes, tuple[int, int]]]:
    """For the fake recognizer, which ends an utterance at any 0.5 s pause (real speech has
    such pauses): 1.2 s of tone between silences, so the end of speech is exact."""
    t = np.arange(int(1.2 * 8000)) / 8000
    speech = (np.sin(2 * np.pi * 300 * t) * 0.3 * 32767).astype("<i2").tobytes()
    return [("tone-1.2s", b"\x00" * 4800 + speech + b"\x00" * 3200, (15, 74))]


async def run_transport(args: argparse.Namespace, dial: Any, pid: int) -> dict[str, Any]:
    recordings = load_recordings(args.files) if args.engine == "whisper" else tone_utterance()
    out: dict[str, Any] = {"recordings": [r[0] for r in recordings]}
    latencies = await latency_phase(dial, (recordings * args.calls)[: args.calls])
    done = [x for x in latencies if x is not None]
    out["latency"] = {"calls": len(latencies), "missed": len(latencies) - len(done),
                      "p50_s": pct(done, 50), "p95_s": pct(done, 95), "all_s": done}
    barge = await barge_in_phase(dial, recordings, args.barge)
    stopped = [x for x in barge if x is not None]
    out["barge_in"] = {"tries": len(barge), "not_stopped": len(barge) - len(stopped),
                       "p50_ms": pct([x * 1000 for x in stopped], 50),
                       "max_ms": round(max(stopped) * 1000, 1) if stopped else None}
    out["concurrency"] = []
    for streams in args.streams:
        level = await concurrency_level(dial, recordings, streams, args.turns, pid)
        out["concurrency"].append(level)
        print(f"  {streams} calls: {level}", file=sys.stderr)
        if not level["kept_up"] and not args.all_levels:
            break
    # The most calls carried with every smaller level carried too (with --all-levels a
    # larger level may pass after a smaller one missed: that is luck, not capacity).
    carried = 0
    for level in out["concurrency"]:
        if not level["kept_up"]:
            break
        carried = level["streams"]
    out["sustained_calls"] = carried
    return out


async def bench(args: argparse.Namespace, ready: dict[str, Any], pid: int) -> dict[str, Any]:
    out = {"audiosocket": await run_transport(args, lambda: Caller(ready["port"]), pid)}
    if ready.get("sip_port"):
        out["sip"] = await run_transport(args, lambda: SipCaller(ready["sip_port"]), pid)
    return out


def table(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [f"bench_telephony: engine {r['engine']}, FAQ {r['faq']}, {m['cpus']} CPUs, "
             f"load average 1 min {m['load_start']} at start, {m['load_end']} at end"]
    for transport in ("audiosocket", "sip"):
        t = r.get(transport)
        if t is None:
            continue
        lat, barge = t["latency"], t["barge_in"]
        one = next((lv for lv in t["concurrency"] if lv["streams"] == 1), None)
        rows = [
            ("end of speech -> first answer audio p50 / p95 (s)",
             f"{lat['p50_s']} / {lat['p95_s']}", "p50 <= 1.5",
             f"{lat['missed']} missed" if lat["missed"] else ""),
            ("barge-in: speech -> playback stopped p50 / max (ms)",
             f"{barge['p50_ms']} / {barge['max_ms']}", "<= 300",
             f"{barge['not_stopped']} not stopped" if barge["not_stopped"] else ""),
            ("concurrent calls with answers p95 <= 2 s", str(t["sustained_calls"]), ">= 4",
             "" if t["concurrency"] else "not run"),
            ("bot CPU seconds per call (1 caller)",
             str(one["cpu_s_per_call"]) if one else "-", "", ""),
        ]
        width = max(len(row[0]) for row in rows)
        lines.append(f" over {transport}:")
        lines += [f"  {a:<{width}}  {b:<15} {c:<11} {d}" for a, b, c, d in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("whisper", "fake"), default="whisper")
    parser.add_argument("--faq", choices=("auto", "real", "fake"), default="auto")
    parser.add_argument("--files", type=int, default=8, help="recordings to rotate through")
    parser.add_argument("--calls", type=int, default=6, help="calls in the latency phase")
    parser.add_argument("--barge", type=int, default=4, help="barge-in tries")
    parser.add_argument("--streams", type=int, nargs="*", default=[1, 2, 4, 6],
                        help="concurrency levels (none: skip that phase)")
    parser.add_argument("--turns", type=int, default=2, help="questions per caller")
    parser.add_argument("--all-levels", action="store_true",
                        help="run every --streams level, not only up to the first missed")
    parser.add_argument("--max-calls", type=int, default=64, help="the bot's call limit")
    parser.add_argument("--out", type=Path,
                        default=PROJECT_ROOT / "results" / "bench_telephony.json")
    parser.add_argument("--sip", action="store_true",
                        help="also over SIP (the bot's SIP adapter, PCMU, on loopback)")
    parser.add_argument("--sip-port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # child mode: the store's path
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return 0
    load_start = os.getloadavg()[0]
    db = args.out.parent / f"bench_telephony-{os.getpid()}.db"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(db), "--engine", args.engine,
         "--faq", args.faq, "--max-calls", str(args.max_calls),
         "--sip-port", str(free_udp_port() if args.sip else 0)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
             "HF_HUB_OFFLINE": "1"},
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        ready = json.loads(child.stdout.readline() or "{}")
        if "port" not in ready:
            print("Error: the bot did not start (see its log above)", file=sys.stderr)
            return 1
        result = asyncio.run(bench(args, ready, child.pid))
        result.update(bench="telephony", engine=ready["engine"],
                      faq=ready["faq"], targets={"p50_s": 1.5, "barge_in_ms": 300, "calls": 4})
        result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                             "load_start": round(load_start, 2),
                             "load_end": round(os.getloadavg()[0], 2)}
        result["cpu_s_bot_total"] = round(child_cpu_s(child.pid), 1)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()  # this child only, by its pid
            child.wait()
        db.unlink(missing_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(table(result))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
