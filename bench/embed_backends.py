"""Embedding backends side by side: throughput, one-query latency, load time, and agreement with torch.

    .venv/bin/python bench/embed_backends.py ../shared/eval/rtqa-dev/articles.jsonl [--texts 600] [--full-chunks]

Texts are paragraphs of the articles with the title/date header our chunks carry (--full-chunks:
~900-character chunks as ingest makes them, about twice the tokens). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ingest.chunking import chunk_article
from qa.embeddings import SentenceEmbedder, default_model_path
from qa.onnx_embedder import OnnxEmbedder
from qa.openvino_embedder import OpenVinoEmbedder


def sample_texts(path: Path, count: int, full_chunks: bool) -> list[str]:
    texts: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        if full_chunks:
            chunks = chunk_article(article["text"], title=article.get("title", ""), date=article.get("date", ""))
            texts += [c.embed_text for c in chunks[:3]]
        else:
            paragraphs = [p for p in article["text"].split("\n\n") if len(p) > 200]
            texts += [f"{article.get('title', '')}\n{article.get('date', '')}\n\n{p[:900]}" for p in paragraphs[:3]]
        if len(texts) >= count:
            return texts[:count]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path)
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--full-chunks", action="store_true")
    args = parser.parse_args()
    texts = sample_texts(args.articles, args.texts, args.full_chunks)
    vectors: dict[str, np.ndarray] = {}
    print("| backend | load | chunks/s | one query | cosine to torch (min / mean) |")
    print("|---|---|---|---|---|")
    for name in ("torch", "openvino", "onnx", "onnx-int8"):
        started = time.perf_counter()
        if name == "torch":
            embedder = SentenceEmbedder()
        elif name == "openvino":
            embedder = OpenVinoEmbedder(default_model_path())
        else:
            embedder = OnnxEmbedder(default_model_path(), quantize=name == "onnx-int8")
        load_s = time.perf_counter() - started
        embedder.embed_documents(texts[:32])  # warm-up
        started = time.perf_counter()
        vectors[name] = np.array(embedder.embed_documents(texts))
        rate = len(texts) / (time.perf_counter() - started)
        started = time.perf_counter()
        for text in texts[:50]:
            embedder.embed_query(text[:120])
        query_ms = (time.perf_counter() - started) / 50 * 1000
        cosine = (vectors[name] * vectors["torch"]).sum(axis=1)
        agreement = f"{cosine.min():.4f} / {cosine.mean():.4f}"
        print(f"| {name} | {load_s:.2f} s | {rate:.1f} | {query_ms:.1f} ms | {agreement} |")


if __name__ == "__main__":
    main()
