"""`python -m qa eval QUESTIONS.jsonl`: retrieval and answer quality over dated questions.

Each question is asked as of its own date (nothing published later is used). A retrieval hit is
a retrieved chunk of a gold-url article; an answer is accurate when it holds a gold choice and no
other choice (case and punctuation ignored).
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from qa.chain import clean_question, make_answerer, make_retriever
from qa.config import Settings
from qa.store import Store

CUTOFFS = (1, 4, 10)


def normalize_url(url: str) -> str:
    url = url.strip().lower().split("#")[0].rstrip("/")
    return re.sub(r"^https?://(www\.)?", "", url)


def normalize_choice(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def contains_choice(answer: str, choice: str) -> bool:
    needle = normalize_choice(choice)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", normalize_choice(answer)) is not None


def answer_is_accurate(answer: str, choices: list[str], gold: list[str]) -> bool:
    gold_set = {normalize_choice(g) for g in gold}
    holds_gold = any(contains_choice(answer, g) for g in gold)
    holds_other = any(contains_choice(answer, c) for c in choices if normalize_choice(c) not in gold_set)
    return holds_gold and not holds_other


def first_hit_rank(ranked_urls: list[str], gold_urls: list[str]) -> int | None:
    gold = {normalize_url(u) for u in gold_urls}
    for rank, url in enumerate(ranked_urls, start=1):
        if normalize_url(url) in gold:
            return rank
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


@dataclass
class EvalResult:
    ranks: list[int | None] = field(default_factory=list)
    accurate: list[bool] = field(default_factory=list)
    not_found: list[bool] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        n = len(self.ranks)
        metrics: dict = {"n": n}
        for cutoff in CUTOFFS:
            metrics[f"hits@{cutoff}"] = round(sum(1 for r in self.ranks if r and r <= cutoff) / n, 4) if n else 0.0
        metrics["mrr@10"] = round(sum(1 / r for r in self.ranks if r and r <= 10) / n, 4) if n else 0.0
        metrics["answer_accuracy"] = round(sum(self.accurate) / n, 4) if n else 0.0
        metrics["not_found_rate"] = round(sum(self.not_found) / n, 4) if n else 0.0
        metrics["latency_ms"] = {
            "p50": round(statistics.median(self.latencies_ms), 1) if self.latencies_ms else 0.0,
            "p95": round(percentile(self.latencies_ms, 0.95), 1),
        }
        return metrics


def load_questions(path: Path) -> list[dict]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: malformed JSON: {err.msg}") from None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise ValueError(f"{path}:{number}: expected an object with a 'question' string")
        questions.append(item)
    return questions


def evaluate(questions: list[dict], store: Store, settings: Settings, *, as_of_dates: bool = True) -> EvalResult:
    result = EvalResult()
    answerer = make_answerer(store, settings)
    _ = store.embedder  # model load is not a question's latency
    for item in questions:
        question = clean_question(item["question"])
        as_of = str(item.get("date") or "").replace("/", "-") or None
        started = time.perf_counter()
        retriever = make_retriever(store, settings, k=max(10, settings.k), as_of=as_of if as_of_dates else None)
        documents = retriever.invoke(question)
        reply = answerer.invoke({"question": question, "documents": documents[: settings.k]})
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        urls = [str(d.metadata.get("url", "")) for d in documents[:10]]
        result.ranks.append(first_hit_rank(urls, item.get("gold_urls") or []))
        result.accurate.append(answer_is_accurate(reply.answer, item.get("choices") or [], item.get("answers") or []))
        result.not_found.append(not reply.found)
    return result
