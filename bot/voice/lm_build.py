"""`bot build lm`: the character language model Whisper's n-best list is rescored with.

Built from the knowledge base (questions, similar questions, answers) and the corpus the
deployer names in BOT_ASR_LM_CORPUS (or `--corpus`): files or folders of the hotline's own
text, such as its ticket exports (CSV/TSV/XLSX), text and JSON-lines files. Only the runs of
Chinese characters are counted, so any column layout will do. A folder is read recursively;
of two files that differ only in their extension (a CSV and the XLSX it was exported from)
only the text one is read. A file that cannot be read is skipped with a warning naming it.
Rebuilt when the knowledge base or a corpus file changed.

A build never replaces a usable model with one the transcriber would not use: when none of
the named files had Chinese text, or the new model would be below the minimum while the old
one is not, the old model is kept and the build fails (unless forced).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import InputError, ModelNotBuiltError
from bot.kb.tables import decode_text
from bot.settings import Settings
from bot.voice.lm import CharNgramLM, cjk_runs, is_built

log = logging.getLogger(__name__)

ORDER = 3  # measured on AISHELL dev files: 4 gained 0.2 % CER for 2.5x the size
# Counting takes about 45 bytes of memory a character (measured: 16.7 M characters, 750 MB
# peak); the gain from more text flattens after a few million (rescore.py), so reading stops
# here and the report says which files were left out.
MAX_CHARACTERS = 30_000_000
TEXT_SUFFIXES = (".txt", ".csv", ".tsv", ".json", ".jsonl", ".md")
SHEET_SUFFIXES = (".xlsx",)
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass
class CorpusReport:
    files: list[tuple[str, int]] = field(default_factory=list)  # (path, Chinese characters)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    kb_characters: int = 0


@dataclass(frozen=True)
class LmBuild:
    folder: Path
    built: bool  # False: the model there was kept
    message: str
    report: CorpusReport | None = None
    characters: int = 0

    @property
    def too_small(self) -> bool:
        """Too little text for the transcriber to rescore with (rescore.py)."""
        from bot.voice.rescore import MIN_LM_CHARACTERS

        return self.characters < MIN_LM_CHARACTERS


def corpus_files(paths: Sequence[Path]) -> list[Path]:
    """The files to read: named files as given, folders recursively (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES + SHEET_SUFFIXES)
            text_stems = {p.with_suffix("") for p in found if p.suffix.lower() in TEXT_SUFFIXES}
            files += [p for p in found
                      if p.suffix.lower() in TEXT_SUFFIXES or p.with_suffix("") not in text_stems]
        elif path.is_file():
            if path.suffix.lower() not in TEXT_SUFFIXES + SHEET_SUFFIXES:
                raise InputError(
                    f"{path}: not a corpus file type; use "
                    f"{', '.join(TEXT_SUFFIXES + SHEET_SUFFIXES)} files or a folder of them")
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder (BOT_ASR_LM_CORPUS / --corpus)")
    return files


def read_corpus_file(path: Path) -> str:
    """The text of one corpus file (InputError when it cannot be read as text)."""
    if path.suffix.lower() in SHEET_SUFFIXES:
        from bot.kb.tables import read_table

        table = read_table(path)
        return "\n".join("\t".join(cells) for cells in
                         [table.header, *(row.cells for row in table.rows)])
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror or err})") from err
    text = decode_text(data, str(path))
    if "\\u" in text:  # JSON written with ASCII escapes
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def kb_texts(kb_dir: Path) -> list[str]:
    from bot.kb.loader import load_kb

    return [text for entry in load_kb(kb_dir)
            for text in (*entry.all_questions, entry.answer)]


def signature(files: Sequence[Path], kb: Sequence[str], order: int) -> str:
    digest = hashlib.sha256(f"order {order}\n".encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path.resolve()}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    for text in kb:
        digest.update(text.encode() + b"\n")
    return digest.hexdigest()


def _texts(files: Sequence[Path], kb: Sequence[str], report: CorpusReport,
           max_characters: int = MAX_CHARACTERS) -> Iterator[str]:
    report.kb_characters = sum(len(run) for text in kb for run in cjk_runs(text))
    yield from kb
    total = report.kb_characters
    for path in files:
        if total >= max_characters:
            report.skipped.append((str(path), f"not read: the corpus reached "
                                   f"{max_characters:,} characters"))
            continue
        try:
            text = read_corpus_file(path)
        except InputError as err:
            log.info("ASR language model: skipped %s", err)
            why = str(err).removeprefix(str(path)).lstrip(":： ")
            report.skipped.append((str(path), why))
            continue
        runs = cjk_runs(text)
        chars = sum(len(run) for run in runs)
        if not chars:
            report.skipped.append((str(path), "no Chinese text"))
            continue
        if total + chars > max_characters:
            kept, room = [], max_characters - total
            for run in runs:
                if room <= 0:
                    break
                kept.append(run[:room])
                room -= len(kept[-1])
            text, read = "\n".join(kept), max_characters - total
            report.skipped.append((str(path), f"read in part ({read:,} of {chars:,} "
                                   f"characters): the corpus reached {max_characters:,}"))
            chars = read
        total += chars
        report.files.append((str(path), chars))
        yield text


def build_lm(settings: Settings, corpus: Sequence[Path] | None = None,
             folder: Path | None = None, force: bool = False) -> LmBuild:
    """Build (or keep) the language model; `corpus` None: BOT_ASR_LM_CORPUS."""
    from bot.voice.config import VoiceSettings
    from bot.voice.rescore import MIN_LM_CHARACTERS

    voice = VoiceSettings.load(settings)
    folder = folder or voice.asr_lm_dir
    paths = [p.expanduser().resolve() for p in (voice.asr_lm_corpus if corpus is None else corpus)]
    files = corpus_files(paths)
    kb = kb_texts(settings.kb_dir)
    sig = signature(files, kb, ORDER)
    old = _old_model(folder)
    if old is not None and not force:
        if old.meta.get("signature") == sig:
            return LmBuild(folder, False, f"up to date ({_describe(old)})",
                           characters=old.characters)
        if not paths and old.meta.get("corpus_files"):
            # Rebuilding from the KB alone would quietly drop the deployer's corpus.
            return LmBuild(folder, False,
                           f"kept: built from {_describe(old)}; no corpus is configured now "
                           "(BOT_ASR_LM_CORPUS), use --corpus or --force",
                           characters=old.characters)
    started = time.perf_counter()
    report = CorpusReport()
    model = CharNgramLM.fit(_texts(files, kb, report, MAX_CHARACTERS), order=ORDER)
    if not force:
        problem = ""
        if paths and not report.files:
            problem = "none of the corpus files had Chinese text that could be read"
        elif old is not None and model.characters < MIN_LM_CHARACTERS <= old.characters:
            problem = (f"the new model would have {model.characters:,} characters, too few to "
                       f"rescore with (at least {MIN_LM_CHARACTERS:,})")
        if problem:
            kept = (f"kept the model in {folder} (built from {_describe(old)})" if old
                    else f"nothing was written to {folder}")
            skipped = "; ".join(f"{p}: {why}" for p, why in report.skipped[:5])
            raise InputError(f"{problem}; {kept}; fix the corpus or use --force"
                             + (f" (skipped {skipped})" if skipped else ""))
    model.meta.update({
        "signature": sig, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "kb_dir": str(settings.kb_dir), "kb_characters": report.kb_characters,
        "corpus": [str(p) for p in paths], "corpus_files": len(report.files),
        "files": [{"path": p, "characters": n} for p, n in report.files],
        "skipped": [{"path": p, "why": why} for p, why in report.skipped],
        "build_s": round(time.perf_counter() - started, 1),
    })
    model.save(folder)
    return LmBuild(folder, True, f"built from {_describe(model)} in "
                   f"{model.meta['build_s']} s", report, model.characters)


def _old_model(folder: Path) -> CharNgramLM | None:
    """The model built before, None when there is none or it is damaged (then rebuilt,
    whatever its description says)."""
    if not is_built(folder):
        return None
    try:
        return CharNgramLM.load(folder)
    except ModelNotBuiltError as err:
        log.warning("%s", err)
        return None


def _describe(model: CharNgramLM) -> str:
    files = model.meta.get("corpus_files") or 0
    plural = "" if files == 1 else "s"
    source = (f"the knowledge base and {files} corpus file{plural}" if files
              else "the knowledge base alone")
    return f"{source}, {model.characters:,} characters"
