"""The LangChain tutorial recipe, measured the way `qa eval` measures NewsQA.

RecursiveCharacterTextSplitter(1000, 200), all-MiniLM-L6-v2 embeddings, `Chroma.from_documents`,
`similarity_search(question, k=10)`; a hit is a chunk of a gold-url article. The recipe knows
nothing of dates, so no question is limited to what was published before it.

Usage (needs the bench extra: pip install -e ".[bench]"):
    .venv/bin/python bench/recipe_baseline.py ARTICLES.jsonl QUESTIONS.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("articles", type=Path)
    parser.add_argument("questions", type=Path)
    args = parser.parse_args()

    import chromadb
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from qa.embeddings import get_embedder
    from qa.eval import EvalResult, first_hit_rank

    started = time.perf_counter()
    embedder = get_embedder("")
    load_s = time.perf_counter() - started

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents = []
    articles = [json.loads(line) for line in args.articles.read_text().splitlines() if line.strip()]
    for article in articles:
        for piece in splitter.split_text(article["text"]):
            documents.append(Document(page_content=piece, metadata={"url": article["url"]}))
    client = chromadb.PersistentClient(path=tempfile.mkdtemp(prefix="recipe-"))
    started = time.perf_counter()
    store = Chroma.from_documents(documents, embedder, client=client, collection_name="recipe")
    ingest_s = time.perf_counter() - started

    result = EvalResult()
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    for item in questions:
        started = time.perf_counter()
        hits = store.similarity_search(item["question"], k=10)
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.ranks.append(first_hit_rank([d.metadata["url"] for d in hits], item["gold_urls"]))
        result.accurate.append(False)
        result.not_found.append(False)
    metrics = result.to_json()
    print(
        json.dumps(
            {
                "articles": len(articles),
                "chunks": len(documents),
                "model_load_s": round(load_s, 1),
                "ingest_s": round(ingest_s, 1),
                "articles_per_s": round(len(articles) / ingest_s, 2),
                "chunks_per_s": round(len(documents) / ingest_s, 1),
                **{k: metrics[k] for k in ("hits@1", "hits@4", "hits@10", "mrr@10")},
                "search_ms": {
                    "p50": round(statistics.median(result.latencies_ms), 1),
                    "p95": metrics["latency_ms"]["p95"],
                },
            }
        )
    )


if __name__ == "__main__":
    main()
