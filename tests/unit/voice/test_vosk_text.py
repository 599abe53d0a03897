"""Vosk helpers that need no model: text clean-up, the model's rate, folder checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.voice.vosk_engine import _clean_text, _words, check_model_dir, model_sample_rate


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("我 想 办理 社保卡", "我想办理社保卡"), ("下载 app 就 行", "下载 app 就行"),
     ("안녕 하세요", "안녕 하세요"), ("[unk] 社保卡 [noise]", "社保卡"), ("  ", ""),
     ("廣州 市", "广州市")],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert _clean_text(raw) == clean


def test_words_skip_markers() -> None:
    words = _words([{"word": "[unk]", "start": 0, "end": 0.2, "conf": 0.3},
                    {"word": "社保卡", "start": 0.2, "end": 0.8, "conf": 0.9}])
    assert [(w.text, w.confidence) for w in words] == [("社保卡", 0.9)]


def test_model_rate_from_mfcc_conf(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n--sample-frequency=8000\n")
    assert model_sample_rate(tmp_path) == 8000


def test_model_rate_default(tmp_path: Path) -> None:
    assert model_sample_rate(tmp_path) == 16000


def test_missing_model_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder; unzip a Vosk model"):
        check_model_dir(tmp_path / "vosk-model-small-cn-0.22")


def test_not_a_model_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not look like a Vosk model"):
        check_model_dir(tmp_path)
