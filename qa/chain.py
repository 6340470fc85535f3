"""`answer(question, ...)`: the one entry point from every face (CLI, app, API) to a cited answer.

question (+ history) ──▶ conversation: a follow-up made standalone
         ──▶ NewsRetriever (Chroma + keyword matches) ──▶ documents
         ──▶ extractive answerer (default) or an LLM backend (qa.llm, qa.prompt, qa.generative) ──▶ Answer
An LLM backend that fails falls back to the extractive answer, with a note; callers see one shape.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from datetime import date

from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from qa.config import Settings, get_settings
from qa.conversation import resolve_by_rule, resolve_with_model, user_questions
from qa.extractive import EMPTY_STORE, extractive_answer
from qa.generative import generate
from qa.llm import BackendError, BackendSpec, chat_model, parse_backend
from qa.query import analyze
from qa.rerank import load_reranker
from qa.retrieval import NewsRetriever, merge_neighbours
from qa.routing import Route, route
from qa.schema import Answer, SearchHit
from qa.speech import answer_said
from qa.store import Store, get_store
from qa.summary import article_chunks, summarize
from qa.timeline import answer_timeline

MAX_QUESTION_CHARS = 2000
logger = logging.getLogger(__name__)


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
    sources: list[str] | tuple[str, ...] | None = None,
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
        sources=tuple(s for s in sources or () if s),
        reranker=load_reranker(settings.reranker) if settings.reranker else None,
    )


def _extractive(store: Store, settings: Settings, question: str, documents: list) -> Answer:
    return extractive_answer(
        analyze(question, store.keyword_index), merge_neighbours(documents), settings.max_answer_chars
    )


def make_answerer(store: Store, settings: Settings, llm: str | None = None) -> Runnable:
    """{"question", "documents"} -> Answer, by the backend the spec names (no streaming, no fallback)."""
    backend = _backend(llm or settings.llm)
    if backend.is_extractive:
        return RunnableLambda(
            lambda inputs: _extractive(store, settings, inputs["question"], inputs["documents"]),
            name="extractive_answerer",
        )
    model = chat_model(backend, settings)

    def run(inputs: dict) -> Answer:
        *_, final = generate(model, inputs["question"], inputs["documents"], settings)
        final.backend = backend.label
        return final

    return RunnableLambda(run, name="llm_answerer")


def _backend(spec: str | None) -> BackendSpec:
    try:
        return parse_backend(spec)
    except BackendError as err:
        raise QuestionError(str(err)) from None


def build_chain(store: Store, settings: Settings, **retriever_options) -> Runnable:
    """The whole path as one LangChain runnable: {"question": str} -> Answer."""
    retriever = make_retriever(store, settings, **retriever_options)
    return RunnablePassthrough.assign(documents=(lambda x: x["question"]) | retriever) | make_answerer(store, settings)


def _reason(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def stream_answer(
    question: str,
    *,
    history: list[dict] | None = None,
    k: int | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    sources: list[str] | None = None,
    llm: str | None = None,
    settings: Settings | None = None,
    store: Store | None = None,
) -> Iterator[str | Answer]:
    """The answer text as it grows (str), then the whole Answer last.

    A follow-up is first made standalone (qa.conversation). An LLM backend streams its tokens; if
    it cannot be reached, fails or times out, the extractive answer is given instead, with a note
    saying so. The extractive answer is ready at once; it is still sent sentence by sentence, so
    the UI and the chat endpoint behave the same for every backend.
    """
    settings = settings or get_settings()
    store = store or get_store(settings)
    question = clean_question(question)
    backend = _backend(llm or settings.llm)
    retriever = make_retriever(store, settings, k=k, since=since, until=until, as_of=as_of, sources=sources)
    if store.is_empty():
        yield Answer(answer=EMPTY_STORE, found=False)
        return
    _ = store.embedder  # loaded once per process; not part of a question's time
    started = time.perf_counter()
    note = ""
    model = None
    if not backend.is_extractive:
        try:
            model = chat_model(backend, settings)
        except Exception as err:  # a missing extra, a missing file, a bad key: answer anyway
            note = f"The {backend.label} backend is not available ({_reason(err)}); this is the extractive answer."
    resolved = resolve_by_rule(question, history)
    if model is not None and user_questions(history):
        try:
            resolved = resolve_with_model(question, history, model)
        except Exception as err:
            logger.warning("follow-up rewrite by %s failed: %s", backend.label, _reason(err))
    # What X said, timelines and summaries have paths of their own, with no LLM needed.
    plan = route(resolved.question) if model is None else Route("ordinary")
    if plan.kind != "ordinary":
        store.refresh()
        if plan.kind == "said":
            result = answer_said(plan, store, since=since, until=until, as_of=as_of)
        elif plan.kind == "timeline":
            wide = make_retriever(store, settings, k=12, since=since, until=until, as_of=as_of, sources=sources)
            result = answer_timeline(plan.topic, wide.invoke(plan.topic), store.keyword_index, since=plan.since)
        else:
            earlier = user_questions(history)
            topic = plan.topic or (earlier[-1] if earlier else "")
            if not topic:
                result = Answer(answer=WHICH_ARTICLE, found=False)
            else:
                found = retriever.invoke(topic)
                article_id = str(found[0].metadata.get("article_id", "")) if found else ""
                result = summarize(article_chunks(store, article_id)) if article_id else Answer(NOT_FOUND, False)
        result.note = note
        result.question = resolved.question if resolved.rewritten else ""
        result.timings_ms = {"retrieve": 0.0, "answer": round((time.perf_counter() - started) * 1000, 1)}
        if result.found:
            yield from _growing(result.answer)
        yield result
        return
    documents = retriever.invoke(resolved.search_query)
    retrieved = time.perf_counter()

    result: Answer | None = None
    if model is not None:
        try:
            for item in generate(model, resolved.question, documents, settings):
                if isinstance(item, Answer):
                    result = item
                    result.backend = backend.label
                else:
                    yield item
        except Exception as err:  # unreachable, HTTP errors, timeouts, llama.cpp failures
            logger.warning("answer backend %s failed: %s", backend.label, _reason(err))
            note = f"The {backend.label} backend failed ({_reason(err)}); this is the extractive answer."
    if result is None:
        result = _extractive(store, settings, resolved.question, documents)
        if result.found:
            yield from _growing(result.answer)
    result.note = " ".join(part for part in (note, result.note) if part)
    result.question = resolved.question if resolved.rewritten else ""
    result.timings_ms = {
        "retrieve": round((retrieved - started) * 1000, 1),
        "answer": round((time.perf_counter() - retrieved) * 1000, 1),
    }
    yield result


def _growing(answer_text: str) -> Iterator[str]:
    """A ready answer, sent cited sentence by cited sentence, as a model's tokens would be."""
    text = ""
    for piece in re.split(r"(?<=\])(?=\s)", answer_text)[:-1]:
        text += piece
        yield text.strip()


WHICH_ARTICLE = "Which article? Ask, for example, “Summarize the article about the Bishkek meeting”."
NOT_FOUND = "The articles don't say."


def summarize_article(article_id: str, *, settings: Settings | None = None, store: Store | None = None) -> Answer:
    """The summary of one stored article (the Summarize button, /summarize)."""
    settings = settings or get_settings()
    store = store or get_store(settings)
    chunks = article_chunks(store, str(article_id or "").strip())
    if not chunks:
        raise QuestionError(f"No article with id {article_id!r} is stored.")
    return summarize(chunks)


def answer(question: str, **options) -> Answer:
    """The whole Answer at once (see stream_answer for the options)."""
    *_, final = stream_answer(question, **options)
    return final


def search(
    query: str,
    *,
    k: int | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    sources: list[str] | None = None,
    settings: Settings | None = None,
    store: Store | None = None,
) -> list[SearchHit]:
    settings = settings or get_settings()
    store = store or get_store(settings)
    query = clean_question(query)
    retriever = make_retriever(store, settings, k=k or 10, since=since, until=until, as_of=as_of, sources=sources)
    if store.is_empty():
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
