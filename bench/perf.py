"""Ingest throughput, model load, search/ask latency and peak memory: the LangChain tutorial recipe
and NewsQA on the same articles, in one run, one child process per (system, size) so that peak RSS
is each one's own.

    .venv/bin/python bench/perf.py ../shared/eval/rtqa-dev/articles.jsonl ../shared/eval/rtqa-dev/questions.jsonl \
        --sizes 1000,10000 [--embed-backend onnx]

A size is a number of recipe chunks (RecursiveCharacterTextSplitter 1000/200): articles are taken
in file order until the recipe's chunks reach it, and both systems get exactly those articles. Past
the file's end (rtqa-dev holds about 27.5k), generated distractors fill up (bench/distractors.py).
--systems ours skips the recipe (its 100k run takes about an hour).
Needs the bench extra (langchain-text-splitters). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.eval import percentile


def take_articles(path: Path, recipe_chunks: int) -> list[dict]:
    """The file's articles in order until the recipe's chunks reach the size, then generated distractors."""
    from distractors import distractors
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    real = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    taken, total = [], 0
    for article in itertools.chain(real, distractors(real)):
        taken.append(article)
        total += len(splitter.split_text(article.get("text", "")))
        if total >= recipe_chunks:
            break
    return taken


def run_recipe(articles: list[dict], questions: list[dict]) -> dict:
    import chromadb
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from qa.embeddings import SentenceEmbedder

    started = time.perf_counter()
    embedder = SentenceEmbedder()  # all-MiniLM-L6-v2 on torch, as HuggingFaceEmbeddings runs it
    load_s = time.perf_counter() - started
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    started = time.perf_counter()
    documents = [
        Document(page_content=piece, metadata={"url": a.get("url", "")})
        for a in articles
        for piece in splitter.split_text(a.get("text", ""))
    ]
    store = Chroma.from_documents(
        documents,
        embedder,
        client=chromadb.PersistentClient(path=tempfile.mkdtemp(prefix="recipe-")),
        collection_name="recipe",
    )
    ingest_s = time.perf_counter() - started
    times = []
    for item in questions:
        t = time.perf_counter()
        store.similarity_search(item["question"], k=10)
        times.append((time.perf_counter() - t) * 1000)
    return {"load_s": load_s, "ingest_s": ingest_s, "chunks": len(documents), "search_ms": times, "ask_ms": []}


def run_ours(articles: list[dict], questions: list[dict], backend: str) -> dict:
    from ingest.loaders.records import article_from_record
    from ingest.pipeline import IngestReport, ingest_articles
    from qa.chain import answer, search
    from qa.config import settings_with
    from qa.store import Store

    settings = settings_with(db_dir=Path(tempfile.mkdtemp(prefix="newsqa-")), embed_backend=backend)
    store = Store(settings)
    started = time.perf_counter()
    _ = store.embedder
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    report = IngestReport()
    parsed = [article_from_record(a, path=Path("bench.jsonl"), position=str(i)) for i, a in enumerate(articles)]
    ingest_articles(parsed, store, report)
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    store.keyword_index.postings.refresh()  # what a starting app does in the background
    postings_s = time.perf_counter() - started
    search_ms, ask_ms = [], []
    for item in questions:
        as_of = str(item.get("date") or "").replace("/", "-") or None
        t = time.perf_counter()
        search(item["question"], k=10, as_of=as_of, settings=settings, store=store)
        search_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        answer(item["question"], as_of=as_of, settings=settings, store=store)
        ask_ms.append((time.perf_counter() - t) * 1000)
    return {
        "load_s": load_s,
        "ingest_s": ingest_s,
        "postings_s": postings_s,
        "chunks": report.chunks,
        "search_ms": search_ms,
        "ask_ms": ask_ms,
    }


def child(args: argparse.Namespace) -> None:
    articles = take_articles(args.articles, args.size)
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    result = (
        run_recipe(articles, questions)
        if args.system == "recipe"
        else run_ours(articles, questions, args.embed_backend)
    )
    n = len(articles)

    def stats(values: list[float]) -> str:
        return f"{statistics.median(values):.0f} / {percentile(values, 0.95):.0f}" if values else "–"

    print(
        json.dumps(
            {
                "system": args.system,
                "size": args.size,
                "articles": n,
                "chunks": result["chunks"],
                "articles_per_s": round(n / result["ingest_s"], 2),
                "chunks_per_s": round(result["chunks"] / result["ingest_s"], 1),
                "ingest_s": round(result["ingest_s"], 1),
                "model_load_s": round(result["load_s"], 2),
                "postings_load_s": round(result["postings_s"], 2) if "postings_s" in result else None,
                "search_p50_p95_ms": stats(result["search_ms"]),
                "ask_p50_p95_ms": stats(result["ask_ms"]),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                # The embedding worker of a bulk ingest (qa/embedding_worker.py), its own process.
                "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--embed-backend", default="openvino")
    parser.add_argument("--systems", default="recipe,ours")
    parser.add_argument("--system", choices=["recipe", "ours"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.system:
        child(args)
        return
    columns = ["system", "recipe-chunk size", "articles", "chunks", "articles/s", "chunks/s", "model load"]
    columns += ["BM25 arrays load"]
    columns += ["search p50/p95 ms", "ask p50/p95 ms", "peak RSS MB", "worker peak RSS MB"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for size in [int(s) for s in args.sizes.split(",")]:
        for system in args.systems.split(","):
            done = subprocess.run(
                [sys.executable, __file__, str(args.articles), str(args.questions), "--system", system,
                 "--size", str(size), "--embed-backend", args.embed_backend],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            row = json.loads(done.stdout.strip().splitlines()[-1])
            cells = [row["system"], f"{size:,}", f"{row['articles']:,}", f"{row['chunks']:,}", row["articles_per_s"]]
            cells += [row["chunks_per_s"], f"{row['model_load_s']} s"]
            cells += [f"{row['postings_load_s']} s" if row["postings_load_s"] is not None else "–"]
            cells += [row["search_p50_p95_ms"], row["ask_p50_p95_ms"]]
            cells += [f"{row['peak_rss_mb']:,}", f"{row['worker_peak_rss_mb']:,}" if row["worker_peak_rss_mb"] else "–"]
            print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
