"""The voice path in real time: end of speech -> first reply audio, and how many concurrent
real-time callers the machine sustains.

Each call is a real Mandarin recording from ../shared/data/speech (the permissively
licensed AISHELL-1, Common Voice and FLEURS files plus the citizen-style FunASR sample;
never copied into the project) with silence around it, fed in 20 ms chunks at the pace of
a live call into a VoiceSession: the real transcriber (Whisper base unless BOT_ASR_ENGINE
says otherwise), the in-process ConversationService over the real FAQ engine (degraded
mode, no rasa: the dialog server's ~65 ms a turn is not in these numbers; bench_stack.py
measures it), a SQLite store, and espeak-ng.

- latency: one caller at a time; from the moment the last chunk holding speech is sent to
  the moment the reply's audio is ready. Target p50 <= 1.5 s.
- concurrency: N callers at once, each playing recordings back to back for --stream-s
  seconds; a caller keeps up when its processing lag (how long a chunk waits before the
  session has taken it) stays bounded: p95 <= 2.0 s and the last chunk <= 3.0 s.
  Target: at least 2 callers.

- endpoints (--endpoints): no Whisper; Silero VAD over every recording of the manifest,
  then the endpointing state machine at several end-of-speech silences: how many recordings
  (single sentences, so one utterance each) a shorter silence cuts in two, and how many
  early decodes a caller's pauses would waste.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_voice.py            # results/bench_voice.json
    .venv/bin/python bench/bench_voice.py --files 4 --streams 1 2 --stream-s 20   # quick
    .venv/bin/python bench/bench_voice.py --beam 1 --end-silence 0.5 --early 0    # a variant
    .venv/bin/python bench/bench_voice.py --endpoints --out results/asr/endpoints.json
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.settings import PROJECT_ROOT, Settings

DATA = Path(os.environ.get("BOT_SPEECH_DATA", PROJECT_ROOT.parent / "shared" / "data" / "speech"))
FOLDERS = ("funasr_examples/sample.wav", "aishell1_test_dev/", "common_voice_zh_cn/", "fleurs_cmn/")
CHUNK_S = 0.02
LEAD_S, TAIL_S = 0.3, 1.5  # silence before and after each recording
LAG_P95_MAX_S, LAG_LAST_MAX_S = 2.0, 3.0


@dataclass
class Call:
    name: str
    pcm: bytes  # padded
    speech_end_s: float  # where the last speech sample is, in the padded audio


@dataclass
class StreamResult:
    lags: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # end of speech -> reply audio
    to_final: list[float] = field(default_factory=list)  # end of speech -> final transcript
    dialog_ms: list[float] = field(default_factory=list)  # final -> reply text (FAQ engine)
    tts_ms: list[float] = field(default_factory=list)
    missed: int = 0  # utterances whose speech end got no reply audio
    finals: list[str] = field(default_factory=list)


def load_calls(limit: int) -> list[Call]:
    from bot.voice.audio import decode_file
    from bot.voice.base import SAMPLE_RATE

    manifest = DATA / "manifest.csv"
    if not manifest.is_file():
        sys.exit(f"no recordings: {manifest} is missing (see ../shared/data/speech/README.md)")
    with manifest.open(encoding="utf-8") as handle:
        names = [row["file"] for row in csv.DictReader(handle)]
    picked = [n for prefix in FOLDERS for n in names if n.startswith(prefix)][:limit]
    calls = []
    for name in picked:
        pcm = decode_file(DATA / name).pcm
        samples = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))
        loud = np.nonzero(samples > 0.05 * samples.max())[0]
        end = (loud[-1] if len(loud) else len(samples)) / SAMPLE_RATE
        lead, tail = (
            b"\x00\x00" * int(LEAD_S * SAMPLE_RATE),
            b"\x00\x00" * int(TAIL_S * SAMPLE_RATE),
        )
        calls.append(Call(name, lead + pcm + tail, LEAD_S + end))
    return calls


def cpu_seconds() -> float:
    """This process and its children (espeak-ng runs as one), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def endpoint_study(ends: list[float], early: list[float]) -> dict[str, Any]:
    """Silero once per recording, then the endpointing at each silence (cheap: no Whisper)."""
    from bot.voice.audio import decode_file
    from bot.voice.vad import FRAME, SileroFrameVad, VadConfig, VoiceActivity

    with (DATA / "manifest.csv").open(encoding="utf-8") as handle:
        names = [row["file"] for row in csv.DictReader(handle)]
    per_folder: dict[str, dict[str, Any]] = {}
    tail = np.zeros(int(1.5 * 16000), np.float32)  # the caller stays silent afterwards
    for name in names:
        pcm = decode_file(DATA / name).pcm
        samples = np.concatenate([np.frombuffer(pcm, "<i2").astype(np.float32) / 32768, tail])
        frames = samples[: len(samples) - len(samples) % FRAME].reshape(-1, FRAME)
        vad = SileroFrameVad()
        probs = [vad(f) for f in frames]
        folder = per_folder.setdefault(name.split("/")[0], {"recordings": 0, "cut": {},
                                                            "no_speech": 0, "early_wasted": {}})
        folder["recordings"] += 1
        def cached(probs: list[float] = probs) -> Any:
            feed = iter(probs)
            return lambda _frame: next(feed)

        for end in ends:
            activity = VoiceActivity(VadConfig(end_silence_s=end), vad=cached())
            starts = sum(1 for f in frames if (ev := activity.step(f)) and ev.kind == "start")
            key = f"{end:.1f}"
            folder["cut"][key] = folder["cut"].get(key, 0) + (starts > 1)
            if end == max(ends):
                folder["no_speech"] += starts == 0
                # pauses inside an utterance: each one >= early (and shorter than the
                # endpoint) starts a decode that is thrown away
                activity = VoiceActivity(VadConfig(end_silence_s=end), vad=cached())
                pauses, before = [], 0
                for f in frames:
                    event = activity.step(f)
                    run = activity.trailing_silence_frames
                    if event is None and activity.active and run == 0 and before:
                        pauses.append(before)  # a pause that ended in more speech
                    before = run
                seconds = [p * FRAME / 16000 for p in pauses]
                for e in early:
                    for end_s in ends:  # a pause >= the endpoint ends the utterance instead
                        n = sum(1 for p in seconds if e <= p < end_s)
                        k = f"{e:.1f}@{end_s:.1f}"
                        folder["early_wasted"][k] = folder["early_wasted"].get(k, 0) + n
    total = {"recordings": sum(f["recordings"] for f in per_folder.values())}
    for field_name in ("cut", "early_wasted"):
        total[field_name] = {k: sum(f[field_name].get(k, 0) for f in per_folder.values())
                             for k in next(iter(per_folder.values()))[field_name]}
    total["no_speech"] = sum(f["no_speech"] for f in per_folder.values())
    return {"bench": "endpoints", "ends_s": ends, "early_s": early, "total": total,
            "per_folder": per_folder, "load_average_1m": round(os.getloadavg()[0], 2)}


# Paired comparison (--compare): each recording is answered once per configuration, back to
# back, so every configuration sees the same moment's machine load.
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    # before: no early decode, Whisper's VAD again on each utterance, the full 30 s window
    "old": {"early": 0, "stream_vad": True, "encoder_pad": None},
    "beam1": {"beam": 1},
    "nowords": {"no_words": True},
    "end05": {"end_silence": 0.5},
    "early02": {"early": 0.2},
    "win1": {"encoder_pad": 1.0},
    "win2": {"encoder_pad": 2.0},
    "win2-beam1": {"encoder_pad": 2.0, "beam": 1},
    "fullwin": {"encoder_pad": None},
}


def configure(transcriber: Any, cfg: dict[str, Any], base: dict[str, Any] | None = None) -> None:
    """Set a Whisper transcriber to `cfg` (keys as CONFIGS), starting from `base` (its own
    state, as `snapshot` took it) or from what it has now."""
    if not hasattr(transcriber, "options"):
        return
    if base is not None:
        transcriber.options, transcriber.vad, transcriber.early_decode_s = (
            base["options"], base["vad"], base["early"])
    options = transcriber.options
    if cfg.get("beam") is not None:
        options = replace(options, beam_size=cfg["beam"])
    if cfg.get("no_words"):
        options = replace(options, word_timestamps=False)
    if cfg.get("stream_vad"):
        options = replace(options, stream_vad_filter=True)
    if "encoder_pad" in cfg:  # the streaming path's window (a live call)
        options = replace(options, stream_encoder_pad_s=cfg["encoder_pad"])
    transcriber.options = options
    if cfg.get("end_silence") is not None:
        transcriber.vad = replace(transcriber.vad, end_silence_s=cfg["end_silence"])
    if cfg.get("early") is not None:
        transcriber.early_decode_s = cfg["early"] or None


def snapshot(transcriber: Any) -> dict[str, Any]:
    return {"options": getattr(transcriber, "options", None),
            "vad": getattr(transcriber, "vad", None),
            "early": getattr(transcriber, "early_decode_s", None)}


def compare(names: list[str], calls: list[Call], conversation: Any, transcriber: Any,
            synthesizer: Any) -> dict[str, Any]:
    base = snapshot(transcriber)
    results: dict[str, StreamResult] = {n: StreamResult() for n in names}
    paired: dict[str, list[float | None]] = {n: [] for n in names}
    cpu: dict[str, float] = dict.fromkeys(names, 0.0)
    for i, call in enumerate(calls):
        for name in names:
            configure(transcriber, CONFIGS[name], base)
            cpu0 = cpu_seconds()
            one = asyncio.run(run_stream([call], None, conversation, transcriber, synthesizer,
                                         f"cmp{i}-{name}"))
            cpu[name] += cpu_seconds() - cpu0
            results[name].latencies.extend(one.latencies)
            results[name].to_final.extend(one.to_final)
            results[name].missed += one.missed
            paired[name].append(one.latencies[0] if one.latencies else None)
        print(f"  {call.name}: " + ", ".join(
            f"{n} {paired[n][-1]:.2f}" if paired[n][-1] is not None else f"{n} -" for n in names),
              f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    configure(transcriber, {}, base)
    first = names[0]
    out: dict[str, Any] = {}
    for name in names:
        r = results[name]
        diffs = [b - a for a, b in zip(paired[first], paired[name], strict=True)
                 if a is not None and b is not None]
        out[name] = {
            "config": CONFIGS[name], "answered": len(r.latencies), "missed": r.missed,
            "p50_s": pct(r.latencies, 50), "p95_s": pct(r.latencies, 95),
            "to_final_p50_s": pct(r.to_final, 50),
            f"median_minus_{first}_s": pct(diffs, 50),
            "cpu_s_per_utterance": round(cpu[name] / max(1, len(r.latencies)), 3),
        }
    return out


def build_stack(settings: Settings, data_dir: Path, args: Any) -> tuple[Any, Any, Any, str]:
    from bot.engine.service import FaqService
    from bot.gateway.conversation import ConversationService
    from bot.store.sql import SqlStore
    from bot.voice.config import VoiceSettings
    from bot.voice.factory import make_transcriber
    from bot.voice.tts import EspeakSynthesizer

    engine = FaqService.from_settings(settings).load()
    store = SqlStore(f"sqlite:///{data_dir / 'bench.db'}")
    conversation = ConversationService(None, engine, store, settings.max_message_chars)
    transcriber = make_transcriber(VoiceSettings.load(settings), settings.kb_dir)
    configure(transcriber, {"beam": args.beam, "no_words": args.no_words,
                            "stream_vad": args.stream_vad, "end_silence": args.end_silence,
                            "early": args.early})
    transcriber.load()
    synthesizer = EspeakSynthesizer()
    synthesizer.load()
    engine.ask("身份证丢了怎么补办")  # warm the embedder
    return conversation, transcriber, synthesizer, engine.version or ""


async def run_stream(
    calls: list[Call],
    seconds: float | None,
    conversation: Any,
    transcriber: Any,
    synthesizer: Any,
    tag: str,
) -> StreamResult:
    """One live caller: a producer paces chunks in real time, the session takes them."""
    from bot.voice.events import AudioEvent, FinalEvent, ReplyEvent
    from bot.voice.session import VoiceSession

    result = StreamResult()
    step = int(CHUNK_S * 16000) * 2
    queue: asyncio.Queue[tuple[bytes, float, bool] | None] = asyncio.Queue()

    async def produce() -> None:
        start = time.perf_counter()
        sent = 0.0
        index = 0
        while True:
            call = calls[index % len(calls)]
            index += 1
            end_chunk = int(call.speech_end_s / CHUNK_S)
            for n, offset in enumerate(range(0, len(call.pcm), step)):
                await asyncio.sleep(max(0.0, start + sent - time.perf_counter()))
                queue.put_nowait(
                    (call.pcm[offset : offset + step], time.perf_counter(), n == end_chunk)
                )
                sent += CHUNK_S
            if seconds is None and index >= len(calls) or seconds is not None and sent >= seconds:
                break
        queue.put_nowait(None)

    async def consume() -> None:
        session = VoiceSession(f"bench-{tag}", transcriber.stream(), conversation, synthesizer)
        waiting: list[float] = []  # speech ends not yet answered by audio
        answering = False
        while (item := await queue.get()) is not None:
            chunk, queued, is_speech_end = item
            result.lags.append(time.perf_counter() - queued)
            if is_speech_end:
                waiting.append(queued)
            async for event in session.feed(chunk):
                if isinstance(event, FinalEvent):
                    result.finals.append(event.text)
                    answering = bool(waiting)  # a final of speech that has ended
                    if answering:
                        result.to_final.append(time.perf_counter() - waiting[0])
                elif isinstance(event, ReplyEvent) and waiting and answering:
                    result.dialog_ms.append(event.latency_ms)
                elif isinstance(event, AudioEvent) and waiting and answering:
                    result.latencies.append(time.perf_counter() - waiting[0])
                    result.tts_ms.append(event.synthesis_ms)
                    waiting.clear()  # one reply answers the whole recording
        result.missed = len(waiting)

    await asyncio.gather(produce(), consume())
    return result


def pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=12, help="recordings for the latency run")
    parser.add_argument(
        "--streams",
        type=int,
        nargs="+",
        default=[1, 2, 3],
        help="concurrent callers to try (stops at the first that cannot keep up)",
    )
    parser.add_argument("--stream-s", type=float, default=40.0, help="audio seconds per caller")
    parser.add_argument("--beam", type=int, help="Whisper beam size (default: the shipped one)")
    parser.add_argument("--end-silence", type=float, help="end-of-speech silence, seconds")
    parser.add_argument("--early", type=float, help="early decode after this silence (0: off)")
    parser.add_argument("--no-words", action="store_true", help="Whisper without word times")
    parser.add_argument("--stream-vad", action="store_true",
                        help="run Whisper's own VAD again on each utterance (the old way)")
    parser.add_argument("--compare", nargs="+", choices=sorted(CONFIGS), metavar="CONFIG",
                        help=f"paired latency comparison only, of: {', '.join(CONFIGS)}")
    parser.add_argument("--endpoints", action="store_true",
                        help="only the VAD endpoint study over all recordings (no Whisper)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "results" / "bench_voice.json")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.endpoints:
        study = endpoint_study([0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [0.2, 0.3, 0.4])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(study, ensure_ascii=False, indent=2), encoding="utf-8")
        print(json.dumps(study["total"], ensure_ascii=False))
        return 0
    settings = Settings.load()
    calls = load_calls(args.files)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        conversation, transcriber, synthesizer, version = build_stack(settings, Path(tmp), args)
        print(
            f"engine {transcriber.name}, FAQ index {version}, {len(calls)} recordings, "
            f"load average {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
        )
        if args.compare:
            compared = {"bench": "voice-compare", "command": " ".join(sys.argv),
                      "recordings": [c.name for c in calls],
                      "load_average_1m_5m_15m_at_start": [round(x, 2) for x in load_start],
                      "configs": compare(args.compare, calls, conversation, transcriber,
                                         synthesizer),
                      "load_average_1m_5m_15m_at_end": [round(x, 2) for x in os.getloadavg()]}
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(compared, ensure_ascii=False, indent=2),
                                encoding="utf-8")
            print(json.dumps(compared["configs"], ensure_ascii=False))
            return 0
        cpu0 = cpu_seconds()
        # One call at a time, each from an idle start: a caller waits for the answer.
        single = StreamResult()
        for n, call in enumerate(calls):
            one = asyncio.run(
                run_stream([call], None, conversation, transcriber, synthesizer, f"lat{n}")
            )
            for name in ("lags", "latencies", "to_final", "dialog_ms", "tts_ms", "finals"):
                getattr(single, name).extend(getattr(one, name))
            single.missed += one.missed
        cpu_latency = cpu_seconds() - cpu0
        latency = {
            "calls": len(calls),
            "answered": len(single.latencies),
            "missed": single.missed,
            "p50_s": pct(single.latencies, 50),
            "p95_s": pct(single.latencies, 95),
            "max_s": round(max(single.latencies), 3) if single.latencies else None,
            "lag_p95_s": pct(single.lags, 95),
            "to_final_p50_s": pct(single.to_final, 50),
            "dialog_ms_p50": pct(single.dialog_ms, 50),
            "tts_ms_p50": pct(single.tts_ms, 50),
            # all CPU the voice path spent (Whisper, VAD, FAQ engine, espeak-ng) per answered
            # recording: what another process's load does not inflate
            "cpu_s_per_utterance": round(cpu_latency / max(1, len(single.latencies)), 3),
            "audio_s_per_utterance": round(
                sum(len(c.pcm) / 32000 for c in calls) / max(1, len(calls)), 2),
        }
        print(f"end of speech -> reply audio: {latency}", file=sys.stderr)
        concurrency = []
        for n in args.streams:

            async def many(n: int = n) -> list[StreamResult]:
                return list(
                    await asyncio.gather(
                        *(
                            run_stream(
                                calls[i % len(calls) :] + calls[: i % len(calls)],
                                args.stream_s,
                                conversation,
                                transcriber,
                                synthesizer,
                                f"c{n}-{i}",
                            )
                            for i in range(n)
                        )
                    )
                )

            results = asyncio.run(many())
            lag95 = [pct(r.lags, 95) or 0.0 for r in results]
            last = [r.lags[-1] if r.lags else 0.0 for r in results]
            kept_up = all(a <= LAG_P95_MAX_S for a in lag95) and all(
                b <= LAG_LAST_MAX_S for b in last
            )
            lat = [x for r in results for x in r.latencies]
            row = {
                "streams": n,
                "kept_up": kept_up,
                "lag_p95_s": lag95,
                "lag_last_s": [round(x, 3) for x in last],
                "reply_p50_s": pct(lat, 50),
                "reply_p95_s": pct(lat, 95),
                "replies": len(lat),
                "missed": sum(r.missed for r in results),
            }
            concurrency.append(row)
            print(f"{n} concurrent: {row}", file=sys.stderr)
            if not kept_up:
                break
        sustained = max((r["streams"] for r in concurrency if r["kept_up"]), default=0)
    report: dict[str, Any] = {
        "bench": "voice",
        "engine": transcriber.name,
        "faq_index": version,
        "whisper_options": str(getattr(transcriber, "options", "")),
        "vad": str(getattr(transcriber, "vad", "")),
        "early_decode_s": getattr(transcriber, "early_decode_s", None),
        "command": " ".join(sys.argv),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m_5m_15m_at_start": [round(x, 2) for x in load_start],
            "load_average_1m_5m_15m_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "recordings": [c.name for c in calls],
        "latency": latency,
        "concurrency": concurrency,
        "sustained_streams": sustained,
        "targets": {"p50_s": 1.5, "streams": 2},
        "met": {
            "p50": latency["p50_s"] is not None and latency["p50_s"] <= 1.5,
            "streams": sustained >= 2,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(
        json.dumps(
            {"latency": latency, "sustained_streams": sustained, "met": report["met"]},
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
