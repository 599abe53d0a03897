"""multilingual-e5-small through sentence-transformers, from the folder `make install` builds."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.embed.base import check_texts
from bot.embed.e5_convert import read_marker
from bot.errors import ConfigError, ModelNotBuiltError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

MODEL_ID = "multilingual-e5-small"
DIM = 384
BATCH_SIZE = 32


class E5Embedder:
    """E5 with its "query: " / "passage: " prompts; rows are L2-normalised float32."""

    dim = DIM

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        if threads < 1:
            raise ConfigError(f"E5Embedder threads={threads!r} must be 1 or more")
        self.model_dir = Path(model_dir)
        self.threads = threads
        self._model: SentenceTransformer | None = None
        self._name: str | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """Model id and source hash of the converted weights: multilingual-e5-small@1a2b3c4d5e6f."""
        if self._name is None:
            self._name = f"{MODEL_ID}@{str(self._marker()['source_sha256'])[:12]}"
        return self._name

    def _marker(self) -> dict[str, object]:
        marker = read_marker(self.model_dir)
        if marker is None:
            raise ModelNotBuiltError(
                f"the e5 model folder {self.model_dir} is missing or incomplete: run `make install`"
            )
        return marker

    def load(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            name = self.name  # fails with the install hint before torch is imported
            import torch
            from sentence_transformers import SentenceTransformer

            # Process-wide; one thread per query is the fastest setting on a shared 2-core box.
            torch.set_num_threads(self.threads)
            try:
                model = SentenceTransformer(
                    str(self.model_dir), local_files_only=True, device="cpu"
                )
            except (OSError, ValueError, RuntimeError, KeyError) as err:
                raise ModelNotBuiltError(
                    f"cannot load the e5 model from {self.model_dir} ({err}); "
                    "rebuild it: `make clean-build install`"
                ) from err
            got = model.get_embedding_dimension()
            if got != DIM:
                raise ModelNotBuiltError(
                    f"the e5 model at {self.model_dir} embeds into {got} dimensions, "
                    f"expected {DIM}; rebuild it: `make clean-build install`"
                )
            log.info("loaded %s from %s (%d threads)", name, self.model_dir, self.threads)
            self._model = model

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        items = check_texts(texts)
        if not items:
            return np.zeros((0, DIM), dtype=np.float32)
        self.load()
        assert self._model is not None
        vectors = self._model.encode(
            items,
            prompt_name=prompt_name,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
