"""Optional cross-encoder re-ranking of the fused candidates (`QA_RERANKER=/path/to/model`).

No cross-encoder ships on PyPI, so none is on by default; give a local sentence-transformers
CrossEncoder folder to turn it on. A reranker is any `(question, texts) -> scores` callable, so
tests and users can plug in their own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

Reranker = Callable[[str, list[str]], list[float]]


@lru_cache(maxsize=2)
def load_reranker(model_path: str) -> Reranker:
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(model_path, device="cpu", local_files_only=True)

    def score(question: str, texts: list[str]) -> list[float]:
        return [float(s) for s in model.predict([(question, text) for text in texts], show_progress_bar=False)]

    return score
