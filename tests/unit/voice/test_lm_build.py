"""`bot build lm`: which corpus files are read, bad files, and when the model is rebuilt or
kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError, InputError
from bot.settings import PROJECT_ROOT, Settings
from bot.voice.config import VoiceSettings
from bot.voice.lm import CharNgramLM
from bot.voice.lm_build import CorpusReport, _texts, build_lm, corpus_files, read_corpus_file

KB = PROJECT_ROOT / "knowledge_base"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(kb_dir=KB, build_dir=tmp_path / "build")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "2024").mkdir(parents=True)
    (folder / "tickets.csv").write_text("编号,内容\n1,交易几乎停滞怎么办\n", encoding="utf-8")
    (folder / "tickets.xlsx").write_bytes(b"PK\x03\x04 the same table as the csv")
    (folder / "2024" / "notes.txt").write_text("二手住宅市场表现稳健", encoding="gbk")
    (folder / "call.wav").write_bytes(b"RIFF....WAVE")
    return folder


def test_folder_is_read_recursively_one_format_per_table(corpus: Path) -> None:
    files = corpus_files([corpus])
    assert [p.relative_to(corpus).as_posix() for p in files] == ["2024/notes.txt", "tickets.csv"]


def test_named_paths_are_checked(corpus: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        corpus_files([corpus / "missing"])
    with pytest.raises(InputError, match="not a corpus file type"):
        corpus_files([corpus / "call.wav"])


def test_encodings_and_json_escapes(tmp_path: Path, corpus: Path) -> None:
    assert read_corpus_file(corpus / "2024" / "notes.txt") == "二手住宅市场表现稳健"
    escaped = tmp_path / "guides.json"
    escaped.write_text(json.dumps({"name": "不动产登记"}), encoding="utf-8")  # \\u4e0d...
    assert "不动产登记" in read_corpus_file(escaped)
    binary = tmp_path / "dump.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(InputError, match="不是文本文件"):
        read_corpus_file(binary)


def test_build_reads_kb_and_corpus_and_skips_bad_files(
    settings: Settings, corpus: Path, tmp_path: Path
) -> None:
    bad = corpus / "broken.txt"
    bad.write_bytes(b"\x00\xff" * 50)
    (corpus / "english.txt").write_text("no chinese here", encoding="utf-8")
    folder = tmp_path / "lm"
    result = build_lm(settings, corpus=[corpus], folder=folder)
    assert result.built and result.report is not None
    assert sorted(Path(p).name for p, _ in result.report.files) == ["notes.txt", "tickets.csv"]
    skipped = dict((Path(p).name, why) for p, why in result.report.skipped)
    assert skipped["english.txt"] == "no Chinese text"
    assert "不是文本文件" in skipped["broken.txt"] and str(bad) not in skipped["broken.txt"]
    model = CharNgramLM.load(folder)
    assert model.meta["corpus_files"] == 2 and model.meta["kb_characters"] > 10_000
    assert result.too_small and result.characters == model.meta["characters"]
    assert model.prob("交易几乎停", "滞") > model.prob("交易几乎停", "制")


def test_rebuilt_only_when_an_input_changed(
    settings: Settings, corpus: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "lm"
    assert build_lm(settings, corpus=[corpus], folder=folder).built
    again = build_lm(settings, corpus=[corpus], folder=folder)
    assert not again.built and again.message.startswith("up to date")
    ticket = corpus / "tickets.csv"
    ticket.write_text("编号,内容\n1,交易几乎停滞怎么办\n2,公积金提取\n", encoding="utf-8")
    os.utime(ticket, ns=(1, 1))
    assert build_lm(settings, corpus=[corpus], folder=folder).built
    assert build_lm(settings, corpus=[corpus], folder=folder, force=True).built


@pytest.fixture
def built(settings: Settings, corpus: Path, tmp_path: Path) -> tuple[Path, bytes]:
    """A model built from the corpus fixture: its folder and its arrays' bytes."""
    folder = tmp_path / "lm"
    build_lm(settings, corpus=[corpus], folder=folder)
    return folder, (folder / "lm.npz").read_bytes()


def test_kb_alone_does_not_replace_a_corpus_model(
    settings: Settings, built: tuple[Path, bytes]
) -> None:
    folder, before = built
    kept = build_lm(settings, corpus=[], folder=folder)
    assert not kept.built and "no corpus is configured" in kept.message
    assert (folder / "lm.npz").read_bytes() == before
    forced = build_lm(settings, corpus=[], folder=folder, force=True)
    assert forced.built and CharNgramLM.load(folder).meta["corpus_files"] == 0


def test_a_failed_build_leaves_the_old_model(
    settings: Settings, corpus: Path, built: tuple[Path, bytes]
) -> None:
    folder, before = built
    with pytest.raises(InputError):
        build_lm(settings, corpus=[corpus / "gone.csv"], folder=folder)
    assert (folder / "lm.npz").read_bytes() == before
    assert CharNgramLM.load(folder).meta["corpus_files"] == 2


def test_settings(tmp_path: Path) -> None:
    voice = VoiceSettings.load(environ={"BOT_ASR_LM_CORPUS": f"{tmp_path}/a:{tmp_path}/b: ",
                                        "BOT_ASR_LM_WEIGHT": "0"}, dotenv=None)
    assert voice.asr_lm_corpus == (tmp_path / "a", tmp_path / "b")
    assert voice.asr_lm_weight == 0.0
    defaults = VoiceSettings.load(environ={}, dotenv=None)
    assert defaults.asr_lm_weight == 0.3 and defaults.asr_lm_corpus == ()
    assert defaults.asr_lm_dir == PROJECT_ROOT / "build" / "models" / "asr-lm"
    for bad in ("-1", "4", "heavy"):
        with pytest.raises(ConfigError, match="BOT_ASR_LM_WEIGHT"):
            VoiceSettings.load(environ={"BOT_ASR_LM_WEIGHT": bad}, dotenv=None)


def test_cli_builds_and_reports(corpus: Path, tmp_path: Path) -> None:
    env = {**os.environ, "BOT_BUILD_DIR": str(tmp_path / "build"),
           "BOT_ASR_LM_DIR": str(tmp_path / "lm")}
    env.pop("BOT_ASR_LM_CORPUS", None)
    bot = [sys.executable, "-m", "bot.cli.main"]
    (corpus / "english.txt").write_text("no chinese here", encoding="utf-8")
    done = subprocess.run([*bot, "build", "lm", "--corpus", str(corpus)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "built from the knowledge base and 2 corpus files" in done.stdout
    assert f"skipped {corpus / 'english.txt'}: no Chinese text" in done.stdout
    assert "too little text to rescore" in done.stdout  # a few sentences and the KB
    wrong = subprocess.run([*bot, "build", "index", "--corpus", str(corpus)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "--corpus is for `bot build lm`" in wrong.stdout
    missing = subprocess.run([*bot, "build", "lm", "--corpus", str(tmp_path / "nope")], env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "no such file or folder" in (missing.stdout + missing.stderr)


def _usable_corpus(folder: Path) -> Path:
    """A file of 120,000 Chinese characters: above the transcriber's minimum."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(120_000))
    (folder / "big.txt").write_text(text, encoding="utf-8")
    return folder


def test_unusable_corpus_never_replaces_a_model(
    settings: Settings, tmp_path: Path, corpus: Path
) -> None:
    folder = tmp_path / "lm"
    big = _usable_corpus(tmp_path / "big")
    assert not build_lm(settings, corpus=[big], folder=folder).too_small
    before = (folder / "lm.npz").read_bytes()
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "empty.txt").write_bytes(b"")
    (junk / "english.txt").write_text("only english", encoding="utf-8")
    (junk / "fake.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="none of the corpus files had Chinese text") as err:
        build_lm(settings, corpus=[junk], folder=folder)
    assert "kept the model" in str(err.value) and "fake.xlsx" in str(err.value)
    # readable but small: would turn rescoring off, so the usable model stays
    with pytest.raises(InputError, match="too few to rescore with"):
        build_lm(settings, corpus=[corpus], folder=folder)
    assert (folder / "lm.npz").read_bytes() == before
    assert build_lm(settings, corpus=[corpus], folder=folder, force=True).too_small


def test_unusable_corpus_on_a_fresh_install_writes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "english.txt").write_text("only english", encoding="utf-8")
    with pytest.raises(InputError, match="nothing was written"):
        build_lm(settings, corpus=[junk], folder=tmp_path / "lm")
    assert not (tmp_path / "lm").exists()


def test_reading_stops_at_the_character_cap(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text("一二三四五。六七八九十", encoding="utf-8")
    report = CorpusReport()
    files = sorted(tmp_path.glob("*.txt"))
    texts = list(_texts(files, [], report, max_characters=12))
    assert texts[0] == "一二三四五。六七八九十" and texts[1] == "一二"
    assert [n for _, n in report.files] == [10, 2]
    why = dict((Path(p).name, w) for p, w in report.skipped)
    assert why["b.txt"].startswith("read in part (2 of 10 characters)")
    assert why["c.txt"].startswith("not read: the corpus reached 12 characters")


def test_corpus_paths_are_recorded_resolved(
    settings: Settings, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(corpus.parent)
    result = build_lm(settings, corpus=[Path("corpus") / "tickets.csv"], folder=tmp_path / "lm")
    assert "and 1 corpus file," in result.message
    assert CharNgramLM.load(tmp_path / "lm").meta["corpus"] == [str(corpus / "tickets.csv")]


def test_a_damaged_model_is_rebuilt_though_its_inputs_did_not_change(
    settings: Settings, corpus: Path, built: tuple[Path, bytes]
) -> None:
    folder, _ = built
    arrays = folder / "lm.npz"
    arrays.write_bytes(arrays.read_bytes()[:100])
    assert build_lm(settings, corpus=[corpus], folder=folder).built
    assert CharNgramLM.load(folder).meta["corpus_files"] == 2
