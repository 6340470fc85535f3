"""Where a search's time goes: each part of `qa.chain.search` timed alone, over a question set.

    .venv/bin/python bench/search_stages.py QUESTIONS.jsonl --db DIR

Parts: the empty-store check, question analysis (term rarities, acronyms), BM25, the query's
embedding, the dense query, the committed-chunk check, fetching BM25-only chunks, and the whole
search (in which BM25 runs beside the embedding and the dense query). The analysis cache is
emptied before each question, so each one pays for its own terms. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from qa.chain import search
from qa.config import settings_with
from qa.eval import load_questions, percentile
from qa.query import _analyzed, analyze
from qa.retrieval import keyword_query
from qa.store import get_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    settings = settings_with(db_dir=args.db)
    store = get_store(settings)
    index = store.keyword_index
    _ = store.embedder  # model load is start-up, not search
    started = time.perf_counter()
    index.postings.refresh()  # so is loading the BM25 arrays (the app does it in the background)
    print(f"BM25 arrays loaded in {time.perf_counter() - started:.2f} s")
    times: dict[str, list[float]] = {}

    def timed(part: str, call: Callable, *positional, **named):
        started = time.perf_counter()
        result = call(*positional, **named)
        times.setdefault(part, []).append((time.perf_counter() - started) * 1000)
        return result

    for item in load_questions(args.questions):
        question = item["question"]
        as_of = str(item.get("date") or "").replace("/", "-") or None
        _analyzed.clear()
        timed("empty-store check", store.is_empty)
        analyzed = timed("analysis", analyze, question, index)
        words, phrases = keyword_query(analyzed)
        keyword_hits = timed("BM25", index.search, words, phrases=phrases, k=30)
        vector = timed("query embedding", store.embedder.embed_query, analyzed.search_text)
        found = timed("dense query", store.collection.query, query_embeddings=[vector], n_results=30)
        dense_ids = found["ids"][0]
        timed("committed check", index.holding, dense_ids)
        missing = [chunk_id for chunk_id, _ in keyword_hits if chunk_id not in set(dense_ids)]
        timed("BM25-only chunks", store.collection.get, ids=missing, include=["documents", "metadatas", "embeddings"])
        _analyzed.clear()
        timed("whole search", search, question, k=10, as_of=as_of, settings=settings, store=store)
    print(f"{store.chunk_count():,} chunks")
    for part, values in times.items():
        print(f"{part:20s} p50 {statistics.median(values):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms")


if __name__ == "__main__":
    main()
