"""How the n-best LM rescoring weight was chosen (bot/voice/rescore.py).

Decodes each file once with the bot's Whisper settings, keeping the beam's n-best list of
every window, then replays the choice offline for several LM weights, so all weights are
compared on the same lists. Tuning files: AISHELL sample files that are not in bench_asr's
59-file selection (dev); the selection is then scored with the same weights for the record,
not for choosing.

    .venv/bin/python bench/bench_asr_lm.py --dev 300 --out results/asr/lm_weights.json

Weight 0 is Whisper's own best (the bot without the LM); "oracle" the best hypothesis of each
list (what a perfect rescorer could reach).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import bench_asr  # noqa: E402

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5)


class Recorder:
    """Wraps CTranslate2's Whisper: beam-search calls return (and record) the n-best."""

    def __init__(self, model: Any, nbest: int) -> None:
        self._model, self.nbest = model, nbest
        self.lists: list[tuple[list[list[int]], list[float]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def generate(self, features: Any, prompts: Any, **kwargs: Any) -> Any:
        if int(kwargs.get("beam_size", 1)) > 1 and not kwargs.get("sampling_temperature"):
            kwargs["num_hypotheses"] = min(self.nbest, int(kwargs["beam_size"]))
        results = self._model.generate(features, prompts, **kwargs)
        for r in results:
            self.lists.append(([list(s) for s in r.sequences_ids], list(r.scores)))
        return results


def collect(rows: list[dict[str, str]], label: str) -> list[dict[str, Any]]:
    from bot.voice.audio import decode_file
    from bot.voice.whisper import simplify

    engine = bench_asr.make_engine(bench_asr.VARIANTS["ours-nolm"], 2)
    recorder = Recorder(engine._model.model, engine.options.nbest)
    engine._model.model = recorder
    tokenizer = engine._model.hf_tokenizer
    eot = tokenizer.token_to_id("<|endoftext|>")
    out = []
    for n, row in enumerate(rows, 1):
        recorder.lists.clear()
        result = engine.transcribe(decode_file(bench_asr.DATA / row["file"]))
        windows = [{"texts": [simplify(tokenizer.decode([i for i in ids if i < eot]))
                              for ids in seqs], "scores": scores}
                   for seqs, scores in recorder.lists]
        out.append({"file": row["file"], "ref": row["transcript"], "hyp": result.text,
                    "windows": windows})
        if n % 50 == 0:
            print(f"  {label}: {n}/{len(rows)} load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    return out


def errors_at(files: list[dict[str, Any]], lm: Any, weight: float | None) -> tuple[int, int]:
    """Character errors when each single-window file takes the bot's choice at `weight`
    (None: the oracle); files of several windows keep the bot's transcript."""
    from bot.voice.cer import cer_count
    from bot.voice.rescore import NbestRescorer

    rescorer = NbestRescorer(lm, weight or 0.0, text_of=str)
    errors = chars = 0
    for f in files:
        count = cer_count(f["ref"], f["hyp"])
        chars += count.ref_chars
        if len(f["windows"]) != 1:
            errors += count.errors
            continue
        texts, scores = f["windows"][0]["texts"], f["windows"][0]["scores"]
        if weight is None:
            errors += min(cer_count(f["ref"], t).errors for t in texts)
            continue
        pick = rescorer.rank(texts, scores)[0] if weight else 0  # 0: Whisper's own best
        errors += cer_count(f["ref"], texts[pick]).errors
    return errors, chars


def main(argv: list[str] | None = None) -> int:
    from bot.settings import Settings
    from bot.voice.config import VoiceSettings
    from bot.voice.lm import CharNgramLM

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", type=int, default=300, help="AISHELL dev files to tune on")
    parser.add_argument("--out", type=Path, default=Path("results/asr/lm_weights.json"))
    args = parser.parse_args(argv)

    lm = CharNgramLM.load(VoiceSettings.load(Settings.load()).asr_lm_dir)
    manifest = bench_asr.manifest()
    selection = bench_asr.pick(manifest, "selection")
    chosen = {r["file"] for r in selection}
    dev = [r for r in bench_asr.pick(manifest, "aishell") if r["file"] not in chosen][: args.dev]
    started = time.perf_counter()
    load0 = os.getloadavg()[0]
    sets = {"dev": collect(dev, "dev"), "selection": collect(selection, "selection")}
    report: dict[str, Any] = {
        "command": " ".join(["bench/bench_asr_lm.py", *(argv or sys.argv[1:])]),
        "lm": {k: lm.meta.get(k) for k in ("characters", "corpus_files", "corpus", "order")},
        "load_avg_start_end": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "decode_s": round(time.perf_counter() - started, 1), "sets": {}}
    print(f"{'weight':>8}" + "".join(f"{name:>18}" for name in sets))
    rows: dict[str, dict[str, Any]] = {name: {} for name in sets}
    for weight in (*WEIGHTS, None):
        line = f"{'oracle' if weight is None else weight:>8}"
        for name, files in sets.items():
            errors, chars = errors_at(files, lm, weight)
            rows[name]["oracle" if weight is None else str(weight)] = {
                "errors": errors, "chars": chars, "cer": round(errors / chars, 4)}
            line += f"{errors:>8} {errors / chars:>8.4f} "
        print(line)
    report["sets"] = {name: {"files": len(sets[name]), "weights": rows[name]} for name in sets}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
