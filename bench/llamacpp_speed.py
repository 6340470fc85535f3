"""Time to first token and tokens/s of the `llamacpp:` path, question to answer, on this machine.

    .venv/bin/python bench/llamacpp_speed.py --db DIR [--gguf PATH] [--runs 3] "QUESTION"

Default model: the packaged gemma-3-270m (extra `llamacpp`). Each streamed piece from llama.cpp is
one token. Model load is timed apart from the questions; the first question pays for warm-up.
A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from qa.chain import stream_answer
from qa.config import settings_with
from qa.llm import chat_model, packaged_gguf, parse_backend
from qa.store import get_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question")
    parser.add_argument("--db", required=True)
    parser.add_argument("--gguf", default="")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    gguf = args.gguf or str(packaged_gguf())
    settings = settings_with(db_dir=args.db, llm=f"llamacpp:{gguf}", llm_max_tokens=args.max_tokens)
    store = get_store(settings)
    _ = store.embedder, store.keyword_index

    started = time.perf_counter()
    model = chat_model(parse_backend(settings.llm), settings)
    model.invoke("Hello")  # loads the weights and warms up
    load_s = time.perf_counter() - started

    runs = []
    for _ in range(args.runs):
        started = time.perf_counter()
        first = None
        tokens = 0
        final = None
        for item in stream_answer(args.question, settings=settings, store=store):
            if isinstance(item, str):
                tokens += 1
                first = first or time.perf_counter()
            else:
                final = item
        done = time.perf_counter()
        if first is None or final is None or final.backend == "extractive":
            raise SystemExit(f"no tokens from llama.cpp: {final.note if final else ''}")
        runs.append(
            {
                "ttft_ms": round((first - started) * 1000),
                "tokens": tokens,
                "tokens_per_s": round((tokens - 1) / (done - first), 1) if tokens > 1 else 0.0,
                "total_s": round(done - started, 2),
            }
        )
        print(json.dumps(runs[-1]), flush=True)
    print(
        json.dumps(
            {
                "model": gguf,
                "load_and_warmup_s": round(load_s, 2),
                "ttft_ms_median": statistics.median(r["ttft_ms"] for r in runs),
                "tokens_per_s_median": statistics.median(r["tokens_per_s"] for r in runs),
            }
        )
    )


if __name__ == "__main__":
    main()
