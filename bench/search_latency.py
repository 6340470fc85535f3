"""Search latency over a question set: `qa.chain.search` (k=10, as of each question's date), several passes.

    .venv/bin/python bench/search_latency.py QUESTIONS.jsonl --db DIR [--passes 3]

The first pass pays for cold caches (SQLite pages, Chroma's index segments); later passes show the
steady state of a running app. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from qa.chain import search
from qa.config import settings_with
from qa.eval import load_questions, percentile
from qa.store import get_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--db", required=True)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    settings = settings_with(db_dir=args.db)
    store = get_store(settings)
    _ = store.embedder, store.keyword_index  # model load and index sync are start-up, not search
    questions = load_questions(args.questions)
    report = []
    for number in range(1, args.passes + 1):
        times = []
        for item in questions:
            as_of = str(item.get("date") or "").replace("/", "-") or None
            started = time.perf_counter()
            search(item["question"], k=10, until=as_of, as_of=as_of, settings=settings, store=store)
            times.append((time.perf_counter() - started) * 1000)
        report.append(
            {"pass": number, "p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile(times, 0.95), 1)}
        )
        print(json.dumps(report[-1]), flush=True)


if __name__ == "__main__":
    main()
