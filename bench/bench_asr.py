"""Speech recognition on real Mandarin recordings: CER and real-time factor per engine and
configuration, on 16 kHz audio and on G.711 telephone copies; optionally how often the FAQ
decision on the transcript equals the decision on the reference text.

Recordings: ../shared/data/speech (manifest.csv; never copied into the project).
Sets: `selection` = the AISHELL-1, Common Voice and FLEURS files plus every 25th file of the
AISHELL sample in manifest order (59 files); `aishell` = all 1,000 AISHELL sample files.

    .venv/bin/python bench/bench_asr.py --set selection --variant plain --variant ours
    OMP_NUM_THREADS=1 nohup nice -n 15 .venv/bin/python bench/bench_asr.py --set aishell \\
        --variant ours --telephone both --threads 1 --out results/asr/aishell.json &   # long

Telephone copies (--telephone) go through SoX at run time, in a temporary folder: 16 kHz
WAV -> 8 kHz G.711 mu-law WAV -> 16 kHz 16-bit, the codec a call leg applies (not line
noise, echo or packet loss); without sox, bot.voice.g711.telephone_copy does the same.
Scoring (bot/voice/cer.py): no spaces or punctuation, 幺 = 一, Arabic digits as Chinese
digits, either digit by digit (`cer_digits`) or as read aloud (`cer_spoken`: 29 -> 二十九,
80% -> 百分之八十); `cer_best` takes, per utterance, whichever of the two readings of the
hypothesis's Arabic digits is closer to the reference (both are correct writings of what
was said; a reference in characters tells which one the speaker used).
Streaming variants (stream-*) feed each recording in 20 ms chunks through the live path:
our VAD endpointing, then Whisper per utterance; `splits` counts recordings cut into more
than one utterance (a caller's question answered half-way in a live call).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
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
    compute_type: str = "int8"
    filter_invented: bool = True
    raw: bool = False  # call faster-whisper directly with its defaults (the "plain" baseline)
    stream: bool = False  # through the streaming recognizer (our VAD cuts the utterances)
    end_silence_s: float = 0.7  # streaming: the endpoint
    stream_vad_filter: bool = False  # streaming: Whisper's own VAD pass on each utterance
    simplified_tokens: bool = False
    encoder_pad_s: float | None = None  # None: Whisper's full 30 s encoder window
    pre_roll_s: float = 0.3  # streaming: audio kept before / after the detected speech
    tail_s: float = 0.2


VARIANTS = {
    "plain": Variant("plain", raw=True, prompt="none", vad_filter=False,
                     condition_on_previous_text=True, word_timestamps=False),
    "ours": Variant("ours"),  # built by bot.voice.factory: what the bot ships
    "ours-nolm": Variant("ours-nolm"),  # the same without the n-best LM rescoring
    "noprompt": Variant("noprompt", prompt="none"),
    "nofilter": Variant("nofilter", prompt="none", filter_invented=False),
    "noprompt-novad": Variant("noprompt-novad", prompt="none", vad_filter=False),
    "noprompt-b1": Variant("noprompt-b1", prompt="none", beam_size=1),
    "b8": Variant("b8", prompt="none", beam_size=8),
    "noprompt-nots": Variant("noprompt-nots", prompt="none", without_timestamps=True),
    "noprompt-nowords": Variant("noprompt-nowords", prompt="none", word_timestamps=False),
    "noprompt-fallback": Variant("noprompt-fallback", prompt="none", fallback=True),
    "condprev": Variant("condprev", prompt="none", condition_on_previous_text=True),
    "gain": Variant("gain", prompt="none", gain_to_dbfs=-20.0),
    "vad2000": Variant("vad2000", prompt="none", vad_min_silence_ms=2000),
    "patience2": Variant("patience2", prompt="none", patience=2.0),
    "vadsoft": Variant("vadsoft", prompt="none", vad_threshold=0.35),
    "vadpad": Variant("vadpad", prompt="none", vad_speech_pad_ms=800),
    "f32": Variant("f32", prompt="none", compute_type="float32"),
    "f32-b1": Variant("f32-b1", prompt="none", compute_type="float32", beam_size=1),
    "f32-p2": Variant("f32-p2", prompt="none", compute_type="float32", patience=2.0),
    "f32-vadsoft": Variant("f32-vadsoft", prompt="none", compute_type="float32",
                           vad_threshold=0.35),
    "int8f32": Variant("int8f32", prompt="none", compute_type="int8_float32"),
    "win1": Variant("win1", prompt="none", encoder_pad_s=1.0),
    "win2": Variant("win2", prompt="none", encoder_pad_s=2.0),
    "win3": Variant("win3", prompt="none", encoder_pad_s=3.0),
    "win2-b8": Variant("win2-b8", prompt="none", encoder_pad_s=2.0, beam_size=8),
    "stream-win1": Variant("stream-win1", prompt="none", stream=True, encoder_pad_s=1.0),
    "stream-win2": Variant("stream-win2", prompt="none", stream=True, encoder_pad_s=2.0),
    "stream-win3": Variant("stream-win3", prompt="none", stream=True, encoder_pad_s=3.0),
    "simp": Variant("simp", prompt="none", simplified_tokens=True),
    "simp-b8": Variant("simp-b8", prompt="none", simplified_tokens=True, beam_size=8),
    "domain": Variant("domain", prompt="domain"),
    "domain-b1": Variant("domain-b1", prompt="domain", beam_size=1),
    "generic": Variant("generic", prompt="以下是普通话的句子。"),
    "short": Variant("short", prompt="short"),
    "vosk": Variant("vosk", engine="vosk"),
}
for _end in (0.3, 0.4, 0.5, 0.6, 0.7):
    _tag = f"e{round(_end * 10):02d}"
    VARIANTS[f"stream-{_tag}"] = Variant(f"stream-{_tag}", prompt="none", stream=True,
                                         end_silence_s=_end)
    VARIANTS[f"stream-{_tag}-b1"] = Variant(f"stream-{_tag}-b1", prompt="none", stream=True,
                                            end_silence_s=_end, beam_size=1)
VARIANTS["stream-e07-vad"] = Variant("stream-e07-vad", prompt="none", stream=True,
                                     stream_vad_filter=True)
VARIANTS["stream-ours"] = Variant("stream-ours", stream=True)  # the factory's, streamed
VARIANTS["stream-ours-nolm"] = Variant("stream-ours-nolm", stream=True)
for _pad in (5.0, 8.0):  # the live path with more of Whisper's encoder window kept
    _tag = f"stream-ours-pad{round(_pad)}"
    VARIANTS[_tag] = Variant(_tag, stream=True, encoder_pad_s=_pad)
for _pre, _tail in ((0.3, 0.4), (0.3, 0.6), (0.5, 0.4), (0.5, 0.6)):
    _tag = f"stream-p{round(_pre * 10)}t{round(_tail * 10)}"
    VARIANTS[_tag] = Variant(_tag, prompt="none", stream=True, pre_roll_s=_pre, tail_s=_tail)


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
    if variant.name.removeprefix("stream-").startswith("ours"):  # what the bot runs: the factory's
        from bot.voice.factory import make_transcriber

        voice = replace(voice, asr_threads=threads)
        if variant.name.endswith("-nolm"):
            voice = replace(voice, asr_lm_weight=0.0)
        engine = make_transcriber(voice, kb, "whisper")
        if variant.encoder_pad_s is not None:
            engine.options = replace(engine.options, stream_encoder_pad_s=variant.encoder_pad_s)
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
        compute_type=variant.compute_type, filter_invented=variant.filter_invented,
        stream_vad_filter=variant.stream_vad_filter,
        simplified_tokens=variant.simplified_tokens,
        encoder_pad_s=None if variant.stream else variant.encoder_pad_s,
        stream_encoder_pad_s=variant.encoder_pad_s if variant.stream else None,
    )
    from bot.voice.vad import VadConfig

    engine = WhisperTranscriber(voice.whisper_model_dir, prompt=prompt, options=options,
                                vad=replace(VadConfig(), end_silence_s=variant.end_silence_s,
                                            pre_roll_s=variant.pre_roll_s, tail_s=variant.tail_s))
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


def run_stream(engine: Any, audio: Any) -> tuple[str, float, int]:
    """The live path: 20 ms chunks through the streaming recognizer; the finals joined.
    Returns text, Whisper seconds, and how many utterances the recording became."""
    stream = engine.stream()
    finals: list[Any] = []
    step = 640  # 20 ms of 16 kHz 16-bit
    for offset in range(0, len(audio.pcm), step):
        finals.extend(t for t in stream.accept(audio.pcm[offset : offset + step]) if t.is_final)
    last = stream.finish()
    finals += [last] if last is not None else []
    return "".join(t.text for t in finals), sum(t.processing_s for t in finals), len(finals)


def sox_telephone(audio: Any, folder: Path) -> Any:
    """16 kHz -> 8 kHz G.711 mu-law -> 16 kHz through SoX (files in `folder`)."""
    from bot.voice.audio import decode_file
    from bot.voice.wav import wav_bytes

    wide, coded, back = folder / "in.wav", folder / "ulaw.wav", folder / "back.wav"
    wide.write_bytes(wav_bytes(audio.pcm))
    subprocess.run(["sox", str(wide), "-r", "8000", "-e", "u-law", "-b", "8", "-c", "1",
                    str(coded)], check=True, capture_output=True)
    subprocess.run(["sox", str(coded), "-r", "16000", "-e", "signed", "-b", "16", str(back)],
                   check=True, capture_output=True)
    return decode_file(back)


def phone_copy(audio: Any, folder: Path) -> Any:
    if shutil.which("sox"):
        return sox_telephone(audio, folder)
    from bot.voice.g711 import telephone_copy

    return telephone_copy(audio)


def bench(variant: Variant, rows: list[dict[str, Any]], telephone: bool, threads: int,
          faq: Any, rows_out: Any) -> dict[str, Any]:
    from bot.voice.audio import decode_file
    from bot.voice.cer import CerCount, cer_count, corpus_cer

    engine = make_engine(variant, threads)
    tmp = Path(tempfile.mkdtemp(prefix="bench-asr-"))
    counts: dict[str, list[Any]] = {m: [] for m in (*DIGIT_MODES, "best")}
    splits = 0
    by_folder: dict[str, list[Any]] = {}
    audio_s = proc_s = cpu_s = 0.0
    same = asked = 0
    load0 = os.getloadavg()[0]
    for n, row in enumerate(rows, 1):
        audio = row["audio"] if "audio" in row else decode_file(DATA / row["file"])
        if telephone:
            audio = phone_copy(audio, tmp)
        cpu0 = time.process_time()
        utterances = 1
        if variant.raw:
            text, took = run_raw(engine, audio)
            confidence = None
        elif variant.stream:
            text, took, utterances = run_stream(engine, audio)
            confidence = None
            splits += utterances > 1
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
            record[f"ref_chars_{mode}"] = count.ref_chars
            record["ref_chars"] = count.ref_chars
        best = min((counts[m][-1] for m in DIGIT_MODES), key=lambda c: c.errors)
        counts["best"].append(CerCount(best.errors, best.ref_chars))
        record["utterances"] = utterances
        by_folder.setdefault(row["file"].split("/")[0], []).append(counts["best"][-1])
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
                  f"CER {corpus_cer(counts['digits']):.4f} best {corpus_cer(counts['best']):.4f} "
                  f"RTF {proc_s / audio_s:.3f} load {os.getloadavg()[0]:.1f}",
                  file=sys.stderr, flush=True)
    summary = {
        "variant": asdict(variant), "telephone": telephone, "files": len(rows),
        "audio_s": round(audio_s, 1), "processing_s": round(proc_s, 1),
        "rtf": round(proc_s / audio_s, 3) if audio_s else None,
        # CPU seconds (all threads) per audio second: what the load of other processes on a
        # shared machine does not inflate; 2 cores sustain about 2 / rtf_cpu streams.
        "rtf_cpu": round(cpu_s / audio_s, 3) if audio_s else None,
        **{f"cer_{m}": round(corpus_cer(counts[m]), 4) for m in (*DIGIT_MODES, "best")},
        "cpu_s_per_file": round(cpu_s / len(rows), 3) if rows else None,
        "splits": splits if variant.stream else None,
        "cer_by_folder": {k: round(corpus_cer(v), 4) for k, v in sorted(by_folder.items())},
        "load_avg_start_end": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "prompt": getattr(engine, "prompt", None), "threads": threads,
    }
    rescorer = getattr(engine, "rescorer", None)
    if rescorer is not None:  # how often the language model overruled Whisper's best
        summary["lm"] = {"windows": rescorer.windows, "changed": rescorer.changed,
                         "weight": rescorer.weight, "built_from": {
                             k: rescorer.lm.meta.get(k) for k in ("characters", "corpus_files",
                                                                   "corpus")}}
    if faq is not None:
        summary["faq_same_decision"] = round(same / asked, 4) if asked else None
    shutil.rmtree(tmp, ignore_errors=True)
    return summary


def write_report(out: Path, args: Any, rows: list[Any], summaries: list[Any]) -> None:
    used = "synthetic" if args.synthetic else "files" if args.files else args.set
    report = {"set": used, "files": len(rows), "data": str(DATA),
              "command": " ".join(sys.argv), "published_vosk_cer": PUBLISHED_VOSK,
              "runs": summaries}
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def summarize_rows(path: Path) -> list[dict[str, Any]]:
    """Summaries recomputed from a .jsonl of per-file rows: what a run that was stopped
    half-way still tells (rows are written and flushed one file at a time)."""
    groups: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            groups.setdefault((row["variant"], row["telephone"]), []).append(row)
    out = []
    for (name, phone), rows in groups.items():
        def chars(r: dict[str, Any], mode: str) -> int:
            return int(r.get(f"ref_chars_{mode}", r["ref_chars"]))

        def cer(mode: str, rows: list[dict[str, Any]] = rows) -> float:
            ref = sum(chars(r, mode) for r in rows) or 1
            return round(sum(r[f"errors_{mode}"] for r in rows) / ref, 4)

        best = [min((r["errors_digits"], chars(r, "digits")), (r["errors_spoken"],
                                                               chars(r, "spoken"))) for r in rows]
        audio = sum(r["duration_s"] for r in rows) or 1.0
        out.append({
            "variant": {"name": name}, "telephone": phone, "files": len(rows),
            "cer_best": round(sum(e for e, _ in best) / (sum(c for _, c in best) or 1), 4),
            "cer_digits": cer("digits"), "cer_spoken": cer("spoken"),
            "rtf": round(sum(r["processing_s"] for r in rows) / audio, 3),
            "rtf_cpu": round(sum(r["cpu_s"] for r in rows) / audio, 3),
            "splits": (sum(r.get("utterances", 1) > 1 for r in rows)
                       if name.startswith("stream") else None),
            "load_avg_start_end": [0.0, 0.0],
        })
    return out


def table(summaries: list[dict[str, Any]]) -> str:
    lines = [f"{'variant':<16}{'8k':<4}{'files':>6}{'CER best':>10}{'digits':>8}{'spoken':>8}"
             f"{'RTF':>7}{'RTF cpu':>9}{'splits':>7}{'load':>11}"]
    for s in summaries:
        load = "-".join(f"{x:.1f}" for x in s["load_avg_start_end"])
        splits = "" if s["splits"] is None else s["splits"]
        lines.append(
            f"{s['variant']['name']:<16}{'yes' if s['telephone'] else '':<4}{s['files']:>6}"
            f"{s['cer_best']:>10.4f}{s['cer_digits']:>8.4f}{s['cer_spoken']:>8.4f}"
            f"{s['rtf']:>7.3f}{s['rtf_cpu']:>9.3f}{splits:>7}"
            f"{load:>11}")
    return "\n".join(lines)


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
    parser.add_argument("--summarize", type=Path, metavar="ROWS.jsonl",
                        help="only print the table from the per-file rows of a (partial) run")
    args = parser.parse_args(argv)
    if args.summarize:
        print(table(summarize_rows(args.summarize)))
        return 0
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
                write_report(out, args, rows, summaries)  # a partial run is still usable
    print(table(summaries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
