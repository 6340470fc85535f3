"""What a first run costs: model load, ingest throughput, and time to answer.

Usage:
    .venv/bin/python bench/first_run.py ARTICLES.jsonl QUESTIONS.jsonl [--db DIR]

With ../shared/eval/rtqa-dev it ingests the 1,998 articles into a fresh store, then asks the 103
questions, each as of its date, and prints one Markdown table (figures for docs/benchmarks.md).
A benchmark script, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("articles", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--db", type=Path, help="store directory (default: a fresh temp dir, removed after)")
    args = parser.parse_args()

    db = args.db or Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    rows: list[tuple[str, str]] = []

    started = time.perf_counter()
    from qa.config import settings_with
    from qa.embeddings import get_embedder
    from qa.store import Store

    rows.append(("import qa", f"{time.perf_counter() - started:.1f} s"))
    started = time.perf_counter()
    embedder = get_embedder("")
    rows.append(("model load (all-MiniLM-L6-v2, torch CPU)", f"{time.perf_counter() - started:.1f} s"))

    settings = settings_with(db_dir=db, collection="bench")
    store = Store(settings, embedder=embedder)
    from ingest.pipeline import ingest_paths

    started = time.perf_counter()
    report = ingest_paths([args.articles], store, show_progress=False)
    seconds = time.perf_counter() - started
    articles = report.added + report.updated
    rows.append((f"ingest {args.articles.name}", f"{seconds:.0f} s: {articles} articles, {report.chunks} chunks"))
    rows.append(("ingest throughput", f"{articles / seconds:.2f} articles/s, {report.chunks / seconds:.1f} chunks/s"))
    started = time.perf_counter()
    again = ingest_paths([args.articles], store, show_progress=False)
    rows.append(("re-ingest, all unchanged", f"{time.perf_counter() - started:.1f} s ({again.unchanged} unchanged)"))

    from qa.chain import answer

    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    latencies, retrieve, found = [], [], 0
    for item in questions:
        started = time.perf_counter()
        result = answer(item["question"], as_of=item.get("date") or None, settings=settings, store=store)
        latencies.append((time.perf_counter() - started) * 1000)
        retrieve.append(result.timings_ms.get("retrieve", 0.0))
        found += result.found
    rows.append(
        (
            f"answer, {len(questions)} questions",
            f"p50 {statistics.median(latencies):.0f} ms, "
            f"p95 {percentile(latencies, 0.95):.0f} ms (retrieval p50 {statistics.median(retrieve):.0f} ms)",
        )
    )
    rows.append(('answered (not "the articles don\'t say")', f"{found}/{len(questions)}"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("peak RSS", f"{peak_mb:.0f} MB"))

    print("| step | cost |\n|---|---|")
    for step, cost in rows:
        print(f"| {step} | {cost} |")
    if args.db is None:
        shutil.rmtree(db, ignore_errors=True)


if __name__ == "__main__":
    main()
