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


# --- MultiHop-RAG (Tang & Yang, 2024): the paper's retrieval protocol, for its corpus.json and MultiHopRAG.json.


def _squash(text: str) -> str:
    """The protocol compares texts with spaces and newlines removed."""
    return text.replace(" ", "").replace("\n", "")


def multihop_metrics(retrieved: list[list[str]], gold_facts: list[list[str]]) -> dict:
    """Hits@10, Hits@4, MAP@10, MRR@10 as MultiHop-RAG defines them.

    A retrieved chunk is relevant when any gold fact is a substring of it. Average precision adds,
    at each relevant rank, the number of facts found there for the first time divided by the rank,
    and divides by min(number of facts, 10).
    """
    n = len(gold_facts)
    hits10 = hits4 = 0
    ap_sum = rr_sum = 0.0
    for chunks, facts in zip(retrieved, gold_facts, strict=True):
        facts = [_squash(f) for f in facts]
        found: set[str] = set()
        first_rank = None
        precision_sum = 0.0
        for rank, chunk in enumerate((_squash(c) for c in chunks[:10]), start=1):
            present = [f for f in facts if f in chunk]
            if not present:
                continue
            first_rank = first_rank or rank
            new = {f for f in present if f not in found}
            found |= new
            precision_sum += len(new) / rank
        hits10 += first_rank is not None
        hits4 += first_rank is not None and first_rank <= 4
        ap_sum += precision_sum / min(len(facts), 10) if facts else 0.0
        rr_sum += 1 / first_rank if first_rank else 0.0
    if not n:
        return {"n": 0, "hits@10": 0.0, "hits@4": 0.0, "map@10": 0.0, "mrr@10": 0.0}
    return {
        "n": n,
        "hits@10": round(hits10 / n, 4),
        "hits@4": round(hits4 / n, 4),
        "map@10": round(ap_sum / n, 4),
        "mrr@10": round(rr_sum / n, 4),
    }


def evaluate_multihop(queries: list[dict], store: Store, settings: Settings) -> dict:
    """Retrieve 10 chunks for each non-null query of MultiHopRAG.json and score them."""
    retrieved: list[list[str]] = []
    gold: list[list[str]] = []
    latencies: list[float] = []
    _ = store.embedder
    retriever = make_retriever(store, settings, k=10)
    for item in queries:
        if item.get("question_type") == "null_query":
            continue
        started = time.perf_counter()
        documents = retriever.invoke(clean_question(item["query"]))
        latencies.append((time.perf_counter() - started) * 1000)
        retrieved.append([d.page_content for d in documents])
        gold.append([e["fact"] for e in item.get("evidence_list", []) if e.get("fact")])
    metrics = multihop_metrics(retrieved, gold)
    metrics["latency_ms"] = {
        "p50": round(statistics.median(latencies), 1) if latencies else 0.0,
        "p95": round(percentile(latencies, 0.95), 1),
    }
    return metrics


def load_multihop_queries(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: malformed JSON at line {err.lineno}: {err.msg}") from None
    if not isinstance(data, list) or not all(isinstance(d, dict) and "query" in d for d in data):
        raise ValueError(f"{path}: expected MultiHopRAG.json: a list of objects with 'query' and 'evidence_list'")
    return data
