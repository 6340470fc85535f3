"""The embedding model on OpenVINO: the fastest CPU backend here, and the default.

It runs the ONNX export that qa/onnx_embedder.py caches. On a CPU with bf16 in hardware (AMX,
AVX512-BF16) OpenVINO computes in bf16: vectors within cosine 0.9999 of fp32's. Elsewhere it
computes in fp32, still faster than torch. Two compiled copies: queries with the latency hint (one
request at a time, all cores), documents with the throughput hint (a stream per core, batches in
flight on each), compiled on the first ingest.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from qa.onnx_embedder import exported_model, in_order, mean_pooled, model_tokenizer, padded_inputs, token_batches

# OpenVINO's CPU plugin prepares its kernels for each input shape it meets: with every length from
# 1 to 256 it keeps preparing. Padded to a multiple of 16 (the mask hides the padding) the lengths
# fall into 16 shapes: about 105 -> 130 chunks/s on full chunks here.
PAD_TO = 16


def native_bf16() -> bool:
    """Whether the CPU multiplies bf16 in hardware; elsewhere bf16 is emulated and slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


class OpenVinoEmbedder(Embeddings):
    """LangChain `Embeddings` on OpenVINO; same interface and vectors as SentenceEmbedder."""

    def __init__(
        self,
        model_path: str,
        *,
        precision: str = "",
        batch_size: int = 4,
        cache: Path | None = None,
        queries: bool = True,
    ):
        import openvino as ov

        self.model_path = model_path
        # Small batches of similar length, two in flight: 186 chunks/s here against 109 for one
        # request of 16 (full ~220-token chunks, bf16, 2 cores).
        self.batch_size = batch_size
        self.precision = precision or ("bf16" if native_bf16() else "f32")
        source = Path(model_path)
        self._core = ov.Core()
        self._onnx_file = exported_model(source, cache=cache)
        # queries=False: an ingest worker's, which never asks a question (its copy: about 100 MB less).
        self._query_model = self._compile("LATENCY") if queries else None
        self._documents_model = None
        self._tokenizer = model_tokenizer(source)
        self._lock = threading.Lock()  # one tokenizer state, one lazily compiled documents model
        self._requests = threading.local()  # an infer request is not thread-safe; one per thread

    def _compile(self, hint: str):
        config = {"INFERENCE_PRECISION_HINT": self.precision, "PERFORMANCE_HINT": hint}
        return self._core.compile_model(str(self._onnx_file), "CPU", config)

    def _encoded(self, texts: list[str]) -> list:
        with self._lock:
            return self._tokenizer.encode_batch(texts)

    def embed_query(self, text: str) -> list[float]:
        request = getattr(self._requests, "request", None)
        if request is None:
            if self._query_model is None:
                raise RuntimeError("this embedder was made for documents only (queries=False)")
            request = self._requests.request = self._query_model.create_infer_request()
        feeds = padded_inputs(self._encoded([text]), PAD_TO)
        hidden = request.infer(feeds)[0]
        return mean_pooled(hidden, feeds["attention_mask"])[0].tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import openvino as ov

        with self._lock:
            if self._documents_model is None:
                self._documents_model = self._compile("THROUGHPUT")
            model = self._documents_model
        parts: list[tuple[list[int], np.ndarray]] = []
        queue = ov.AsyncInferQueue(model, int(model.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))

        def finished(request, job) -> None:
            batch, mask = job
            parts.append((batch, mean_pooled(request.get_output_tensor(0).data, mask)))

        queue.set_callback(finished)
        for batch, feeds in token_batches(self._encoded(texts), self.batch_size, PAD_TO):
            queue.start_async(feeds, (batch, feeds["attention_mask"]))
        queue.wait_all()
        return in_order(parts, len(texts))
