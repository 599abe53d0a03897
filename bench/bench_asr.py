"""Speech recognition on real Mandarin recordings: CER and real-time factor per engine and
configuration, on 16 kHz audio and on G.711 telephone copies; optionally how often the FAQ
decision on the transcript equals the decision on the reference text.

Recordings: ../shared/data/speech (manifest.csv; never copied into the project).
Sets: `selection` = the AISHELL-1, Common Voice and FLEURS files plus every 25th file of the
AISHELL sample in manifest order (59 files); `aishell` = all 1,000 AISHELL sample files.

    .venv/bin/python bench/bench_asr.py --set selection --variant plain --variant ours
    .venv/bin/python bench/bench_asr.py --set aishell --variant ours --telephone both \\
        --out results/asr_aishell.json          # long: run it under nohup
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT, Settings

DATA = Path(os.environ.get("BOT_SPEECH_DATA", PROJECT_ROOT.parent / "shared" / "data" / "speech"))
SELECTION_FOLDERS = ("aishell1_test_dev", "common_voice_zh_cn", "fleurs_cmn")
SAMPLE_FOLDER = "aishell_asr0009_sample"
PUBLISHED_VOSK = {  # CER %, from the Vosk model list (alphacephei.com/vosk/models)
    "vosk-model-small-cn-0.22": {"SpeechIO-02": 23.5, "THCHS": 17.2},
    "vosk-model-cn-0.22": {"SpeechIO-02": 14.0, "THCHS": 7.4},
}
DIGIT_MODES = ("digits", "spoken")


@dataclass(frozen=True)
class Variant:
    name: str
    engine: str = "whisper"
    beam_size: int = 5
    prompt: str = "domain"  # "domain", "none" or the prompt text itself
    vad_filter: bool = True
    without_timestamps: bool = False
    condition_on_previous_text: bool = False
    word_timestamps: bool = True
    fallback: bool = False  # Whisper's temperature fallback (0.0 ... 1.0) instead of 0.0 only
    vad_min_silence_ms: int = 500
    vad_threshold: float = 0.5
    vad_speech_pad_ms: int = 400
    patience: float = 1.0
    gain_to_dbfs: float | None = None
    raw: bool = False  # call faster-whisper directly with its defaults (the "plain" baseline)


VARIANTS = {
    "plain": Variant("plain", raw=True, prompt="none", vad_filter=False,
                     condition_on_previous_text=True, word_timestamps=False),
    "ours": Variant("ours"),  # built by bot.voice.factory: what the bot ships
    "noprompt": Variant("noprompt", prompt="none"),
    "noprompt-novad": Variant("noprompt-novad", prompt="none", vad_filter=False),
    "noprompt-b1": Variant("noprompt-b1", prompt="none", beam_size=1),
    "noprompt-nots": Variant("noprompt-nots", prompt="none", without_timestamps=True),
    "noprompt-nowords": Variant("noprompt-nowords", prompt="none", word_timestamps=False),
    "noprompt-fallback": Variant("noprompt-fallback", prompt="none", fallback=True),
    "gain": Variant("gain", prompt="none", gain_to_dbfs=-20.0),
    "vad2000": Variant("vad2000", prompt="none", vad_min_silence_ms=2000),
    "patience2": Variant("patience2", prompt="none", patience=2.0),
    "vadsoft": Variant("vadsoft", prompt="none", vad_threshold=0.35),
    "vadpad": Variant("vadpad", prompt="none", vad_speech_pad_ms=800),
    "domain": Variant("domain", prompt="domain"),
    "domain-b1": Variant("domain-b1", prompt="domain", beam_size=1),
    "generic": Variant("generic", prompt="以下是普通话的句子。"),
    "short": Variant("short", prompt="short"),
    "vosk": Variant("vosk", engine="vosk"),
}


def manifest() -> list[dict[str, str]]:
    with (DATA / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def pick(rows: list[dict[str, str]], name: str) -> list[dict[str, str]]:
    sample = [r for r in rows if r["file"].startswith(SAMPLE_FOLDER + "/")]
    if name == "selection":
        return [r for r in rows if r["file"].split("/")[0] in SELECTION_FOLDERS] + sample[::25]
    if name == "aishell":
        return sample
    raise SystemExit(f"unknown set {name!r}")


def synthetic_rows(n: int) -> list[dict[str, Any]]:
    """`n` hotline questions from the bundled knowledge base (similar questions: the way
    callers put them), spoken by espeak-ng cmn-latn-pinyin. Robotic speech that ASR
    understands poorly: it shows the domain vocabulary's effect, not real-call accuracy."""
    from bot.kb.loader import load_kb
    from bot.voice.tts import EspeakSynthesizer

    kb = load_kb(Settings.load().kb_dir)
    questions = [(e.faq_id, q) for e in kb for q in e.similar_questions]
    step = max(1, len(questions) // n)
    tts = EspeakSynthesizer(speed_wpm=170)
    tts.load()
    return [{"file": f"synthetic/{faq_id}#{i}", "transcript": q, "audio": tts.synthesize(q)}
            for i, (faq_id, q) in enumerate(questions[::step][:n])]


def make_engine(variant: Variant, threads: int) -> Any:
    from bot.voice.config import VoiceSettings
    from bot.voice.prompt import build_domain_prompt

    voice = VoiceSettings.load(Settings.load())
    if variant.engine == "vosk":
        from bot.voice.vosk_engine import VoskTranscriber

        assert voice.vosk_model_dir is not None
        return VoskTranscriber(voice.vosk_model_dir)
    from bot.voice.whisper import WhisperOptions, WhisperTranscriber

    kb = Settings.load().kb_dir
    if variant.name == "ours":  # exactly what the bot runs: the factory's configuration
        from dataclasses import replace

        from bot.voice.factory import make_transcriber

        engine = make_transcriber(replace(voice, asr_threads=threads), kb, "whisper")
        engine.load()
        return engine
    prompt = {"none": "", "domain": None, "short": None}.get(variant.prompt, variant.prompt)
    if prompt is None:
        prompt = build_domain_prompt(kb, 120 if variant.prompt == "domain" else 60)
    options = WhisperOptions(
        beam_size=variant.beam_size, cpu_threads=threads, vad_filter=variant.vad_filter,
        without_timestamps=variant.without_timestamps,
        temperatures=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0) if variant.fallback else (0.0,),
        vad_min_silence_ms=variant.vad_min_silence_ms, patience=variant.patience,
        vad_threshold=variant.vad_threshold, vad_speech_pad_ms=variant.vad_speech_pad_ms,
        gain_to_dbfs=variant.gain_to_dbfs,
        word_timestamps=variant.word_timestamps,
        condition_on_previous_text=variant.condition_on_previous_text,
    )
    engine = WhisperTranscriber(voice.whisper_model_dir, prompt=prompt, options=options)
    engine.load()
    return engine


def run_raw(engine: Any, audio: Any) -> tuple[str, float]:
    """faster-whisper as a first try would call it: beam 5, no prompt, no VAD."""
    from bot.text.simplify import to_simplified
    from bot.voice.audio import pcm16_to_float32

    started = time.perf_counter()
    segments, _ = engine._model.transcribe(pcm16_to_float32(audio.pcm), language="zh", beam_size=5)
    text = "".join(s.text for s in segments)
    return to_simplified(text), time.perf_counter() - started


def bench(variant: Variant, rows: list[dict[str, Any]], telephone: bool, threads: int,
          faq: Any, rows_out: Any) -> dict[str, Any]:
    from bot.voice.audio import decode_file
    from bot.voice.cer import cer_count, corpus_cer
    from bot.voice.g711 import telephone_copy

    engine = make_engine(variant, threads)
    counts: dict[str, list[Any]] = {m: [] for m in DIGIT_MODES}
    by_folder: dict[str, list[Any]] = {}
    audio_s = proc_s = cpu_s = 0.0
    same = asked = 0
    load0 = os.getloadavg()[0]
    for n, row in enumerate(rows, 1):
        audio = row["audio"] if "audio" in row else decode_file(DATA / row["file"])
        if telephone:
            audio = telephone_copy(audio)
        cpu0 = time.process_time()
        if variant.raw:
            text, took = run_raw(engine, audio)
            confidence = None
        else:
            result = engine.transcribe(audio)
            text, took, confidence = result.text, result.processing_s, result.confidence
        cpu = time.process_time() - cpu0
        audio_s += audio.duration_s
        proc_s += took
        cpu_s += cpu
        record: dict[str, Any] = {"file": row["file"], "ref": row["transcript"], "hyp": text,
                                  "duration_s": round(audio.duration_s, 3),
                                  "processing_s": round(took, 3), "cpu_s": round(cpu, 3),
                                  "confidence": confidence}
        for mode in DIGIT_MODES:
            count = cer_count(row["transcript"], text, mode)
            counts[mode].append(count)
            record[f"errors_{mode}"] = count.errors
            record["ref_chars"] = count.ref_chars
        by_folder.setdefault(row["file"].split("/")[0], []).append(counts["digits"][-1])
        if faq is not None:
            ref_decision = faq.ask(row["transcript"]).decision
            hyp_decision = faq.ask(text).decision if text else None
            record["faq_ref"] = str(ref_decision)
            record["faq_hyp"] = str(hyp_decision)
            asked += 1
            same += ref_decision == hyp_decision
        record.update(variant=variant.name, telephone=telephone)
        rows_out.write(json.dumps(record, ensure_ascii=False) + "\n")
        rows_out.flush()
        if n % 50 == 0:
            print(f"  {variant.name}{' 8k' if telephone else ''}: {n}/{len(rows)} "
                  f"CER {corpus_cer(counts['digits']):.4f} RTF {proc_s / audio_s:.3f}",
                  file=sys.stderr, flush=True)
    summary = {
        "variant": asdict(variant), "telephone": telephone, "files": len(rows),
        "audio_s": round(audio_s, 1), "processing_s": round(proc_s, 1),
        "rtf": round(proc_s / audio_s, 3) if audio_s else None,
        # CPU seconds (all threads) per audio second: what the load of other processes on a
        # shared machine does not inflate; 2 cores sustain about 2 / rtf_cpu streams.
        "rtf_cpu": round(cpu_s / audio_s, 3) if audio_s else None,
        **{f"cer_{m}": round(corpus_cer(counts[m]), 4) for m in DIGIT_MODES},
        "cer_by_folder": {k: round(corpus_cer(v), 4) for k, v in sorted(by_folder.items())},
        "load_avg_start_end": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "prompt": getattr(engine, "prompt", None), "threads": threads,
    }
    if faq is not None:
        summary["faq_same_decision"] = round(same / asked, 4) if asked else None
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="selection", choices=("selection", "aishell"))
    parser.add_argument("--files", nargs="*", help="manifest paths to run instead of --set")
    parser.add_argument("--limit", type=int, help="first N files of the set")
    parser.add_argument("--synthetic", type=int, metavar="N",
                        help="instead: N hotline questions from the KB spoken by espeak-ng")
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS),
                        help="configuration(s) to run (default: plain and ours)")
    parser.add_argument("--telephone", choices=("no", "yes", "both"), default="no",
                        help="also/only run G.711 8 kHz copies")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for Whisper")
    parser.add_argument("--faq", action="store_true",
                        help="compare the FAQ decision on transcript and reference")
    parser.add_argument("--out", type=Path, help="summary JSON (rows go beside it as .jsonl)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not (DATA / "manifest.csv").is_file():
        print(f"skipped: no recordings at {DATA} (set BOT_SPEECH_DATA)")
        return 0
    rows: list[dict[str, Any]] = manifest()
    if args.synthetic:
        rows = synthetic_rows(args.synthetic)
    elif args.files:
        wanted = set(args.files)
        rows = [r for r in rows if r["file"] in wanted]
    else:
        rows = pick(rows, args.set)
    rows = rows[: args.limit] if args.limit else rows
    names = args.variant or ["plain", "ours"]
    from bot.voice.config import VoiceSettings

    voice = VoiceSettings.load(Settings.load())
    if "vosk" in names and voice.vosk_model_dir is None:
        names.remove("vosk")
        print("vosk: skipped (no BOT_VOSK_MODEL_DIR: no Chinese Vosk model can be had here). "
              "Published CER: " + "; ".join(
                  f"{m}: {v['SpeechIO-02']} on SpeechIO-02, {v['THCHS']} on THCHS"
                  for m, v in PUBLISHED_VOSK.items()))
    faq = None
    if args.faq:
        from bot.engine.service import FaqService

        faq = FaqService.from_settings(Settings.load()).load()
    out = args.out or PROJECT_ROOT / "results" / "asr_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    phones = {"no": [False], "yes": [True], "both": [False, True]}[args.telephone]
    summaries = []
    with out.with_suffix(".jsonl").open("a", encoding="utf-8") as rows_out:
        for name in names:
            for phone in phones:
                summary = bench(VARIANTS[name], rows, phone, args.threads, faq, rows_out)
                summaries.append(summary)
                print(json.dumps({k: v for k, v in summary.items() if k != "variant"},
                                 ensure_ascii=False), flush=True)
    used = "synthetic" if args.synthetic else "files" if args.files else args.set
    report = {"set": used, "files": len(rows),
              "data": str(DATA), "published_vosk_cer": PUBLISHED_VOSK, "runs": summaries}
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{'variant':<14}{'8k':<4}{'files':>6}{'CER digits':>12}{'CER spoken':>12}{'RTF':>7}"
          f"{'RTF cpu':>9}")
    for s in summaries:
        print(f"{s['variant']['name']:<14}{'yes' if s['telephone'] else '':<4}{s['files']:>6}"
              f"{s['cer_digits']:>12.4f}{s['cer_spoken']:>12.4f}{s['rtf']:>7.3f}{s['rtf_cpu']:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
