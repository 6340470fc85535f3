"""Retrieval: dense (Chroma) and keyword (BM25) candidates, fused, then re-ranked.

A LangChain retriever, so a chain can swap it or wrap it. Each candidate's score is
    RRF(dense rank, BM25 rank), scaled so rank 1 in both lists is 1.0
  + COVERAGE_WEIGHT * the share of the question's terms the chunk holds (rare words and names weigh more)
  + RECENCY_WEIGHT  * exp(-age / RECENCY_DAYS), age counted back from the "as of" date
                      (x RECENT_CUE_FACTOR when the question says "this week", "recently")
  + DATE_WEIGHT     when the article is dated within a date the question names
  + LEDE_WEIGHT     for an article's first chunk (news puts what matters first)
  + ARTICLE_SUPPORT * the score of the article's second-best chunk (an article about the topic,
                      not one passing paragraph)
Dense search finds paraphrases; BM25 finds rare names and exact words the embedder blurs; the
recency prior reflects that a news question asked on a day is about that day's news. The weights
were set on rtqa-dev (docs/benchmarks.md), in coarse steps.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.query import Query, analyze, features, term_match

RRF_K = 60
COVERAGE_WEIGHT = 0.2
RECENCY_WEIGHT = 0.5
RECENCY_DAYS = 20.0
RECENT_CUE_FACTOR = 2.0  # "this week", "recently": the prior counts this much more
DATE_WEIGHT = 0.3  # for an article dated within the dates the question names
DATE_SLACK_DAYS = 3  # news of a day is often published a day or two after it
MAX_CHUNKS_PER_ARTICLE = 1
FILL_CHUNKS_PER_ARTICLE = 3  # when fewer articles than k match
LEDE_WEIGHT = 0.2  # news is written top-down: the first chunk holds what the story is about
ARTICLE_SUPPORT = 0.3  # share of an article's second-best chunk score added to its chunks
NEAR_DUPLICATE = 0.85  # Jaccard of content words above which two chunks say the same thing
RERANK_CANDIDATES = 20
KEYWORD_TERMS = 12
# Unfiltered dense results fetched per candidate needed, before the date filter: first 2x, then 8x.
DENSE_OVERFETCH = (2, 8)


_keyword_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bm25")

ONE_ARTICLE_RE = re.compile(r"\b(this|the|that) (article|story|report|piece)\b|\bsummari[sz]e\b", re.IGNORECASE)


def date_filter(since: str | None = None, until: str | None = None, sources: tuple[str, ...] = ()) -> dict | None:
    """A Chroma `where` on the YYYYMMDD int each chunk carries (undated articles pass an `until`),
    and on the source (publisher or file name) when some are chosen."""
    clauses: list[dict] = [{"source": {"$in": list(sources)}}] if sources else []
    if since:
        clauses.append({"date_int": {"$gte": int(since.replace("-", ""))}})
    if until:
        clauses.append({"date_int": {"$lte": int(until.replace("-", ""))}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def coverage(query: Query, text: str) -> float:
    """Weighted share of the question's terms that the text holds (0..1)."""
    if not query.terms:
        return 0.0
    text_features = features(text)
    return sum(t.weight * term_match(t, text_features) for t in query.terms) / query.total_weight


def recency(article_date: str, as_of: str | None) -> float:
    """1.0 for an article of the "as of" day, fading with age; 0 for undated ones or without a date."""
    if not as_of or not article_date:
        return 0.0
    try:
        age = (date.fromisoformat(as_of) - date.fromisoformat(article_date)).days
    except ValueError:
        return 0.0
    return math.exp(-max(age, 0) / RECENCY_DAYS)


def within(article_date: str, date_range: tuple[str, str] | None) -> bool:
    if not date_range or not article_date:
        return False
    try:
        day = date.fromisoformat(article_date)
        first, last = (date.fromisoformat(d) for d in date_range)
    except ValueError:
        return False
    return first <= day <= last + timedelta(days=DATE_SLACK_DAYS)


def keyword_query(query: Query) -> tuple[str, tuple[str, ...]]:
    """Words and exact phrases for BM25: the question's terms, quoted phrases and acronym expansions.

    A long question keeps its KEYWORD_TERMS weightiest terms: the rest add time, not precision.
    """
    strongest = sorted(query.terms, key=lambda t: t.weight, reverse=True)[:KEYWORD_TERMS]
    words = " ".join(t.label for t in strongest if not (t.phrases and not t.stems))
    phrases = tuple(p for t in query.terms for p in t.phrases)
    return words, phrases


def rrf(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / (RRF_K + rank)


class NewsRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    k: int = 6
    candidates: int = 30
    since: str | None = None
    until: str | None = None
    as_of: str | None = None
    sources: tuple[str, ...] = ()  # only these sources, when given
    reranker: Callable[[str, list[str]], list[float]] | None = None

    def _dense(self, query_vector: np.ndarray, where: dict | None) -> list[tuple[str, str, dict, float]]:
        """Dense candidates within the date bounds.

        A filtered Chroma query scans every vector that passes the filter, which is slow; the
        approximate index without a filter is fast. So ask without the filter for more than
        needed and filter here, and fall back to the filtered query only when too few pass.
        """

        def run(n: int, filter_: dict | None) -> list[tuple[str, str, dict, float]]:
            found = self.store.collection.query(
                query_embeddings=[query_vector.tolist()],
                n_results=n,
                where=filter_,
                include=["documents", "metadatas", "distances"],
            )
            return [
                (chunk_id, text, meta, 1.0 - float(distance))
                for chunk_id, text, meta, distance in zip(
                    found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
                )
            ]

        if where is None:
            return run(self.candidates, None)
        low = int(self.since.replace("-", "")) if self.since else 0
        high = int(self.until.replace("-", "")) if self.until else 99991231
        for overfetch in DENSE_OVERFETCH:
            rows = [row for row in run(self.candidates * overfetch, None) if self._allowed(row[2], low, high)]
            if len(rows) >= self.candidates:
                return rows[: self.candidates]
        return run(self.candidates, where)

    def _allowed(self, meta: dict, low: int = 0, high: int = 99991231) -> bool:
        if self.sources and str(meta.get("source", "")) not in self.sources:
            return False
        return low <= int(meta.get("date_int", 0)) <= high

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        self.store.refresh()
        try:
            return self._retrieve(query)
        except Exception as err:
            # Embedded Chroma whose in-memory index another process has just written past ("Error
            # finding id"): catch up at once and ask again.
            if "Error finding id" not in str(err) and "does not exist" not in str(err):
                raise
            self.store.refresh(now=True)
            return self._retrieve(query)

    def _retrieve(self, query: str) -> list[Document]:
        analyzed = analyze(query, self.store.keyword_index)
        # BM25 (SQLite) runs beside the embedding and the dense query (OpenVINO, Chroma): all three
        # release the GIL, so on two cores the keyword list comes for free.
        words, phrases = keyword_query(analyzed)
        keyword_future = _keyword_pool.submit(
            self.store.keyword_index.search,
            words,
            phrases=phrases,
            k=self.candidates,
            since=int(self.since.replace("-", "")) if self.since else None,
            until=int(self.until.replace("-", "")) if self.until else None,
        )
        query_vector = np.asarray(self.store.embedder.embed_query(analyzed.search_text))
        where = date_filter(self.since, self.until, self.sources)
        collection = self.store.collection

        # chunk id -> (text, metadata, cosine similarity)
        pool: dict[str, tuple[str, dict, float]] = {}
        for chunk_id, text, meta, similarity in self._dense(query_vector, where):
            pool[chunk_id] = (text, meta, similarity)
        # Only committed chunks (those the keyword index holds): never half of an article being
        # written, nor an old version already replaced.
        committed = self.store.keyword_index.holding(list(pool))
        pool = {chunk_id: row for chunk_id, row in pool.items() if chunk_id in committed}

        keyword_hits = keyword_future.result()
        missing = [chunk_id for chunk_id, _ in keyword_hits if chunk_id not in pool]
        if missing:
            extra = collection.get(ids=missing, include=["documents", "metadatas", "embeddings"])
            for chunk_id, text, meta, vector in zip(
                extra["ids"], extra["documents"], extra["metadatas"], extra["embeddings"], strict=True
            ):
                # The keyword index knows dates, not sources: a source filter applies here.
                if self._allowed(meta):
                    pool[chunk_id] = (text, meta, float(np.dot(query_vector, np.asarray(vector))))
        keyword_hits = [hit for hit in keyword_hits if hit[0] in pool]
        keyword_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(keyword_hits, start=1)}

        recency_weight = RECENCY_WEIGHT * (RECENT_CUE_FACTOR if analyzed.wants_recent else 1.0)
        by_similarity = sorted(pool, key=lambda cid: pool[cid][2], reverse=True)
        dense_rank = {chunk_id: rank for rank, chunk_id in enumerate(by_similarity, start=1)}
        scored = []
        for chunk_id, (text, meta, similarity) in pool.items():
            fused = (rrf(dense_rank[chunk_id]) + rrf(keyword_rank.get(chunk_id))) * (RRF_K + 1) / 2
            term_share = coverage(analyzed, f"{meta.get('title', '')}\n{text}")
            article_date = str(meta.get("date", ""))
            score = (
                fused
                + COVERAGE_WEIGHT * term_share
                + recency_weight * recency(article_date, self.as_of)
                + DATE_WEIGHT * within(article_date, analyzed.date_range)
                + LEDE_WEIGHT * (int(meta.get("chunk_index", 0)) == 0)
            )
            scored.append((score, similarity, term_share, chunk_id, text, meta))
        if ARTICLE_SUPPORT:
            best_two: dict[str, list[float]] = {}
            for row in scored:
                article_scores = best_two.setdefault(str(row[5].get("article_id", "")), [])
                article_scores.append(row[0])
            support = {a: sorted(v, reverse=True)[1] if len(v) > 1 else 0.0 for a, v in best_two.items()}
            scored = [
                (row[0] + ARTICLE_SUPPORT * support[str(row[5].get("article_id", ""))], *row[1:]) for row in scored
            ]
        scored.sort(key=lambda row: row[0], reverse=True)
        if self.reranker is not None and scored:
            head = scored[:RERANK_CANDIDATES]
            cross = self.reranker(analyzed.question, [row[4] for row in head])
            head = [(c, *row[1:]) for c, row in sorted(zip(cross, head, strict=True), key=lambda x: -x[0])]
            scored = head + scored[RERANK_CANDIDATES:]
        return self._select(scored, about_one_article=bool(ONE_ARTICLE_RE.search(analyzed.question)))

    def _select(self, scored: list[tuple], *, about_one_article: bool) -> list[Document]:
        """Top k with no near-duplicates and, unless one article is asked about, one chunk per article
        first; when fewer than k articles match, the best further chunks (up to a few per article)
        fill the rest, so a store of one long article still hands the answerer all of its best parts."""
        documents: list[Document] = []
        kept_ids: set[str] = set()
        kept_words: list[frozenset[str]] = []
        per_article: dict[str, int] = {}
        caps = (self.k,) if about_one_article else (MAX_CHUNKS_PER_ARTICLE, FILL_CHUNKS_PER_ARTICLE)
        for cap in caps:
            for score, similarity, term_share, chunk_id, text, meta in scored:
                if len(documents) >= self.k:
                    return documents
                article_id = str(meta.get("article_id", ""))
                if chunk_id in kept_ids or per_article.get(article_id, 0) >= cap:
                    continue
                words = features(text).stems
                if any(len(words & kept) > NEAR_DUPLICATE * len(words | kept) for kept in kept_words):
                    continue
                kept_ids.add(chunk_id)
                kept_words.append(words)
                per_article[article_id] = per_article.get(article_id, 0) + 1
                metadata = dict(
                    meta,
                    chunk_id=chunk_id,
                    score=round(score, 4),
                    similarity=round(similarity, 4),
                    coverage=round(term_share, 4),
                )
                documents.append(Document(page_content=text, metadata=metadata, id=chunk_id))
        return documents


def merge_neighbours(documents: list[Document]) -> list[Document]:
    """Join chunks of one article that follow each other into one passage, at the better one's place.

    Chunks overlap by a paragraph, so shared paragraphs are kept once.
    """
    merged: list[Document] = []
    for document in documents:
        article_id = document.metadata.get("article_id")
        index = int(document.metadata.get("chunk_index", 0))
        for target in merged:
            indexes = target.metadata["chunk_indexes"]
            if target.metadata.get("article_id") == article_id and (index - 1 in indexes or index + 1 in indexes):
                pieces = [(i, target.page_content) for i in [min(indexes)]] + [(index, document.page_content)]
                paragraphs: list[str] = []
                for _, text in sorted(pieces):
                    paragraphs += [p for p in text.split("\n\n") if p not in paragraphs]
                target.page_content = "\n\n".join(paragraphs)
                target.metadata["chunk_indexes"] = sorted({*indexes, index})
                target.metadata["chunk_index"] = min(target.metadata["chunk_indexes"])
                break
        else:
            copy = Document(page_content=document.page_content, metadata=dict(document.metadata), id=document.id)
            copy.metadata["chunk_indexes"] = [index]
            merged.append(copy)
    return merged
