"""`answer(question, ...)`: the one entry point from every face (CLI, app, API) to a cited answer.

question ──▶ NewsRetriever (Chroma + keyword matches) ──▶ documents ──▶ answerer ──▶ Answer
The answerer is a LangChain runnable taking {"question", "documents"}; the extractive one is the
default, and an LLM backend replaces it with no change to callers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from qa.config import Settings, get_settings
from qa.extractive import EMPTY_STORE, extractive_answer
from qa.query import analyze
from qa.rerank import load_reranker
from qa.retrieval import NewsRetriever, merge_neighbours
from qa.schema import Answer, SearchHit
from qa.store import Store, get_store

MAX_QUESTION_CHARS = 2000


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long); the message says why."""


def clean_question(question: str | None) -> str:
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in (question or "")).split())
    if not text:
        raise QuestionError("The question is empty: type a question about the articles.")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is too long ({len(text):,} characters; the limit is {MAX_QUESTION_CHARS:,})."
        )
    return text


def check_date(value: str | None, name: str) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value).strip().replace("/", "-")).isoformat()
    except ValueError:
        raise QuestionError(f"{name} must be a date as YYYY-MM-DD, not {value!r}.") from None


def make_retriever(
    store: Store,
    settings: Settings,
    *,
    k: int | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
) -> NewsRetriever:
    since, until, as_of = check_date(since, "since"), check_date(until, "until"), check_date(as_of, "as_of")
    # "As of" a date: nothing published after it is used, and news close before it is favoured.
    # Without one, today's date sets the recency prior but filters nothing (a wrongly future-dated
    # article stays findable).
    if as_of and (until is None or as_of < until):
        until = as_of
    return NewsRetriever(
        store=store,
        k=k or settings.k,
        candidates=max(settings.candidates, k or 0),
        since=since,
        until=until,
        as_of=as_of or date.today().isoformat(),
        reranker=load_reranker(settings.reranker) if settings.reranker else None,
    )


def make_answerer(store: Store, settings: Settings, llm: str | None = None) -> Runnable:
    spec = (llm or settings.llm or "extractive").strip()
    if spec != "extractive":
        raise QuestionError(f"Unknown answer backend {spec!r}: this version ships 'extractive'.")
    return RunnableLambda(
        lambda inputs: extractive_answer(
            analyze(inputs["question"], store.keyword_index),
            merge_neighbours(inputs["documents"]),
            settings.max_answer_chars,
        ),
        name="extractive_answerer",
    )


def build_chain(store: Store, settings: Settings, **retriever_options) -> Runnable:
    """The whole path as one LangChain runnable: {"question": str} -> Answer."""
    retriever = make_retriever(store, settings, **retriever_options)
    return RunnablePassthrough.assign(documents=(lambda x: x["question"]) | retriever) | make_answerer(store, settings)


def answer(
    question: str,
    *,
    k: int | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    llm: str | None = None,
    settings: Settings | None = None,
    store: Store | None = None,
) -> Answer:
    settings = settings or get_settings()
    store = store or get_store(settings)
    question = clean_question(question)
    retriever = make_retriever(store, settings, k=k, since=since, until=until, as_of=as_of)
    answerer = make_answerer(store, settings, llm)
    if store.chunk_count() == 0:
        return Answer(answer=EMPTY_STORE, found=False)
    _ = store.embedder  # loaded once per process; not part of a question's time
    started = time.perf_counter()
    documents = retriever.invoke(question)
    retrieved = time.perf_counter()
    result: Answer = answerer.invoke({"question": question, "documents": documents})
    result.timings_ms = {
        "retrieve": round((retrieved - started) * 1000, 1),
        "answer": round((time.perf_counter() - retrieved) * 1000, 1),
    }
    return result


def stream_answer(question: str, **options) -> Iterator[str | Answer]:
    """The answer text as it grows (str), then the whole Answer last.

    The extractive answer is ready at once; it is still sent sentence by sentence, as an LLM
    backend's tokens will be, so the UI and the chat endpoint behave the same for every backend.
    """
    result = answer(question, **options)
    if result.found:
        text = ""
        for piece in result.answer.split("] ")[:-1]:
            text += piece + "] "
            yield text.strip()
    yield result


def search(
    query: str,
    *,
    k: int | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    settings: Settings | None = None,
    store: Store | None = None,
) -> list[SearchHit]:
    settings = settings or get_settings()
    store = store or get_store(settings)
    query = clean_question(query)
    retriever = make_retriever(store, settings, k=k or 10, since=since, until=until, as_of=as_of)
    if store.chunk_count() == 0:
        return []
    return [
        SearchHit(
            rank=rank,
            article_id=str(doc.metadata.get("article_id", "")),
            chunk_id=str(doc.metadata.get("chunk_id", "")),
            title=str(doc.metadata.get("title", "")),
            date=str(doc.metadata.get("date", "")),
            url=str(doc.metadata.get("url", "")),
            source=str(doc.metadata.get("source", "")),
            text=doc.page_content,
            score=float(doc.metadata.get("score", 0.0)),
        )
        for rank, doc in enumerate(retriever.invoke(query), start=1)
    ]
