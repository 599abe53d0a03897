"""Which intent classifier, and which FallbackClassifier threshold, for config.yml?

Trains each candidate NLU pipeline on a stratified 80% split of data/nlu.yml (fixed seed,
`rasa data split nlu`), then measures on three sets: the 20% split, the phrasings held out
in tests/integration/dialog/heldout_nlu.yml, and, where ../shared/data is present, the
citizen queries of faq_eval_dev (paraphrases -> ask_question, complaints -> complain, asks
for a human -> request_human; its out-of-scope rows mix government questions the FAQ base
lacks with chit-chat, so only their predicted intents are reported). Then it sweeps the
fallback threshold for the chosen variant. Prints tables; writes results/bench_nlu.json.

    .venv/bin/python bench/bench_nlu.py [--variants diet50,logreg_char_word] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bot.dialog.nlu_parse import ParsedMessage, parse_messages
from bot.dialog.rasa_cli import run_rasa, tail
from bot.settings import PROJECT_ROOT

ROOT = PROJECT_ROOT
OUT = ROOT / "results" / "bench_nlu"
HELDOUT = ROOT / "tests" / "integration" / "dialog" / "heldout_nlu.yml"
FAQ_EVAL = ROOT.parent / "shared" / "data" / "faq_eval_dev" / "queries.csv"
EVAL_KIND_TO_INTENT = {
    "paraphrase": "ask_question",
    "complaint": "complain",
    "request_human": "request_human",
}
SEED = 42

_TOKENIZER = {"name": "JiebaTokenizer", "dictionary_path": "knowledge_base/dict"}
_CHAR = {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3}
_WORD = {"name": "CountVectorsFeaturizer", "analyzer": "word"}
_DIET = {"name": "DIETClassifier", "entity_recognition": False, "random_seed": SEED}
_LOGREG = {"name": "LogisticRegressionClassifier", "max_iter": 1000, "random_state": SEED}
VARIANTS: dict[str, list[dict]] = {
    "diet50_char": [_TOKENIZER, _CHAR, {**_DIET, "epochs": 50}],
    "diet100_char_word": [_TOKENIZER, _CHAR, _WORD, {**_DIET, "epochs": 100}],
    "logreg_char": [_TOKENIZER, _CHAR, _LOGREG],
    "logreg_char_word": [_TOKENIZER, _CHAR, _WORD, _LOGREG],
    # Needs dense features (spaCy, MITIE or a transformer); none can be had offline for zh.
    "sklearn_svm_char_word": [_TOKENIZER, _CHAR, _WORD, {"name": "SklearnIntentClassifier"}],
}
THRESHOLDS = [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
AMBIGUITY = [0.0, 0.05, 0.1]


def read_nlu(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in data.get("nlu") or []:
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                pairs.append((text, block["intent"]))
    return pairs


def read_faq_eval() -> tuple[list[tuple[str, str]], list[str]]:
    if not FAQ_EVAL.is_file():
        print(f"skipping faq_eval_dev: {FAQ_EVAL} not found (../shared/data is absent)")
        return [], []
    with FAQ_EVAL.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labelled = [
        (r["query"], EVAL_KIND_TO_INTENT[r["kind"]])
        for r in rows
        if r["kind"] in EVAL_KIND_TO_INTENT
    ]
    oos = [r["query"] for r in rows if r["kind"] == "out_of_scope"]
    return labelled, oos


def normalise(text: str) -> str:
    import unicodedata

    import opencc  # the app environment has it (opencc-python-reimplemented)

    return opencc.OpenCC("t2s").convert(unicodedata.normalize("NFKC", text))


def split_data() -> tuple[Path, list[tuple[str, str]]]:
    split = OUT / "split"
    args = [
        "data",
        "split",
        "nlu",
        "-u",
        "data/nlu.yml",
        "--training-fraction",
        "0.8",
        "--random-seed",
        str(SEED),
        "--out",
        str(split),
    ]
    done = run_rasa(ROOT, args, timeout_s=300)
    if done.returncode != 0:
        sys.exit(f"Error: rasa data split failed:\n{tail(done.stdout)}")
    return split / "training_data.yml", read_nlu(split / "test_data.yml")


def train_variant(name: str, pipeline: list[dict], train_file: Path) -> dict:
    config = OUT / "configs" / f"{name}.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    body = {"recipe": "default.v1", "language": "zh", "assistant_id": "bench", "pipeline": pipeline}
    config.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    args = [
        "train",
        "nlu",
        "--config",
        str(config),
        "--nlu",
        str(train_file),
        "--out",
        str(OUT / "models"),
        "--fixed-model-name",
        name,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = run_rasa(ROOT, args, timeout_s=3600, log_path=OUT / "logs" / f"{name}.log")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    model = OUT / "models" / f"{name}.tar.gz"
    result: dict[str, Any] = {
        "train_wall_s": round(time.perf_counter() - started, 1),
        "train_cpu_s": round(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1
        ),
    }
    if done.returncode != 0 or not model.is_file():
        result["error"] = tail(done.stdout, 3)
    else:
        result["model"] = str(model)
    return result


def predicted(p: ParsedMessage, threshold: float = 0.0, ambiguity: float = 0.0) -> str:
    second = p.ranking[1][1] if len(p.ranking) > 1 else 0.0
    if p.confidence < threshold or p.confidence - second < ambiguity:
        return "nlu_fallback"
    return p.intent or "nlu_fallback"


def scores(gold: list[str], pred: list[str]) -> dict:
    labels = sorted(set(gold))
    f1s = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    correct = sum(g == p for g, p in zip(gold, pred, strict=True))
    return {
        "n": len(gold),
        "accuracy": round(correct / max(len(gold), 1), 3),
        "macro_f1": round(sum(f1s) / max(len(f1s), 1), 3),
    }


def evaluate(
    model: Path, sets: dict[str, list[tuple[str, str]]], oos: list[str], noise: list[str]
) -> dict:
    texts = [t for pairs in sets.values() for t, _ in pairs] + oos + noise
    run = parse_messages(texts, model, root=ROOT)
    by_text = {p.text: p for p in run.results}
    ms = sorted(p.ms for p in run.results)
    out: dict = {
        "load_s": round(run.load_s, 1),
        "parse_ms_mean": round(sum(ms) / len(ms), 1),
        "parse_ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
        "sets": {},
    }
    for name, pairs in sets.items():
        gold = [g for _, g in pairs]
        out["sets"][name] = scores(gold, [predicted(by_text[t]) for t, _ in pairs])
        out["sets"][name]["errors"] = [
            f"{t} | {g} -> {by_text[t].intent} {by_text[t].confidence:.2f}"
            for t, g in pairs
            if by_text[t].intent != g
        ][:15]
    out["faq_eval_oos_predicted"] = dict(Counter(by_text[t].intent for t in oos).most_common())
    out["_parsed"] = {
        t: [p.intent, p.confidence, p.ranking[1][1] if len(p.ranking) > 1 else 0.0]
        for t, p in by_text.items()
    }
    return out


def sweep(result: dict, sets: dict[str, list[tuple[str, str]]], noise: list[str]) -> list[dict]:
    parsed = result["_parsed"]
    in_domain = [(t, g) for key in ("split_test", "heldout") for t, g in sets[key]]
    rows = []
    for threshold in THRESHOLDS:
        for ambiguity in AMBIGUITY:

            def pick(text: str, threshold: float = threshold, ambiguity: float = ambiguity) -> str:
                intent, conf, second = parsed[text]
                msg = ParsedMessage(text, intent, conf, (("", conf), ("", second)), 0.0)
                return predicted(msg, threshold, ambiguity)

            preds = [pick(t) for t, _ in in_domain]
            gold = [g for _, g in in_domain]
            accepted = [(g, p) for g, p in zip(gold, preds, strict=True) if p != "nlu_fallback"]
            row = {
                "threshold": threshold,
                "ambiguity": ambiguity,
                "false_fallback": round(preds.count("nlu_fallback") / len(preds), 3),
                "accepted_accuracy": round(
                    sum(g == p for g, p in accepted) / max(len(accepted), 1), 3
                ),
                "accuracy": scores(gold, preds)["accuracy"],
                "noise_caught": round(
                    sum(pick(t) == "nlu_fallback" for t in noise) / max(len(noise), 1), 3
                ),
            }
            if sets.get("faq_eval"):
                row["faq_eval_accuracy"] = scores(
                    [g for _, g in sets["faq_eval"]], [pick(t) for t, _ in sets["faq_eval"]]
                )["accuracy"]
            rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    parser.add_argument("--keep", action="store_true", help="reuse models trained before")
    args = parser.parse_args()
    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        sys.exit(f"Error: unknown variant(s) {unknown}; choose from {list(VARIANTS)}")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if not args.keep:
        shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    train_file, split_test = split_data()
    heldout_all = read_nlu(HELDOUT)
    noise = [t for t, g in heldout_all if g == "nlu_fallback"]
    faq_eval, oos = read_faq_eval()
    sets = {"split_test": split_test, "heldout": [p for p in heldout_all if p[1] != "nlu_fallback"]}
    if faq_eval:
        sets["faq_eval"] = faq_eval
        # What the gateway's normaliser would hand rasa: Simplified, half-width.
        sets["faq_eval_norm"] = [(normalise(t), g) for t, g in faq_eval]
    report: dict = {
        "seed": SEED,
        "train_examples": len(read_nlu(train_file)),
        "set_sizes": {k: len(v) for k, v in sets.items()},
        "variants": {},
    }
    for name in names:
        model = OUT / "models" / f"{name}.tar.gz"
        print(f"== {name}", flush=True)
        result: dict[str, Any] = (
            {"model": str(model), "train_wall_s": None, "train_cpu_s": None}
            if args.keep and model.is_file()
            else train_variant(name, VARIANTS[name], train_file)
        )
        if "model" in result:
            result.update(evaluate(Path(result["model"]), sets, oos, noise))
        report["variants"][name] = result
    print_table(report)
    trained = {n: r for n, r in report["variants"].items() if "sets" in r}
    if trained:
        best = max(
            trained,
            key=lambda n: (
                trained[n]["sets"]["heldout"]["macro_f1"]
                + trained[n]["sets"]["split_test"]["macro_f1"]
            ),
        )
        report["best_by_macro_f1"] = best
        report["threshold_sweep"] = {n: sweep(r, sets, noise) for n, r in trained.items()}
        print(f"\nfallback sweep for {best} (in-domain = split_test + heldout)")
        for row in report["threshold_sweep"][best]:
            print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    for r in report["variants"].values():
        r.pop("_parsed", None)
    target = ROOT / "results" / "bench_nlu.json"
    target.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwrote {target}")
    return 0


def print_table(report: dict) -> None:
    print(
        f"\n{'variant':24} {'train s (cpu)':>14} {'ms/msg':>7} "
        + " ".join(f"{k + ' acc/F1':>20}" for k in report["set_sizes"])
    )
    for name, r in report["variants"].items():
        if "error" in r:
            print(f"{name:24} failed: {r['error'].splitlines()[-1][:120]}")
            continue
        cells = " ".join(
            f"{r['sets'][k]['accuracy']:>10.3f}/{r['sets'][k]['macro_f1']:<9.3f}"
            for k in report["set_sizes"]
        )
        train = f"{r['train_wall_s']} ({r['train_cpu_s']})"
        print(f"{name:24} {train:>14} {r['parse_ms_mean']:>7} {cells}")


if __name__ == "__main__":
    sys.exit(main())
