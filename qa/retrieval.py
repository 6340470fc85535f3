"""Retrieval: dense (Chroma) and keyword (BM25) candidates, fused, then re-ranked.

A LangChain retriever, so a chain can swap it or wrap it. Each candidate's score is
    RRF(dense rank, BM25 rank), scaled so rank 1 in both lists is 1.0
  + COVERAGE_WEIGHT * the weighted share of the question's terms (names count double) the chunk holds
  + RECENCY_WEIGHT  * exp(-age / RECENCY_DAYS), age counted back from the "as of" date
Dense search finds paraphrases; BM25 finds rare names and exact words the embedder blurs; the
coverage term rewards chunks that hold everything asked about; the recency prior reflects that a
news question asked on a day is about that day's news.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.query import Query, analyze, features, term_match

RRF_K = 60
COVERAGE_WEIGHT = 0.5
RECENCY_WEIGHT = 0.3
RECENCY_DAYS = 10.0
MAX_CHUNKS_PER_ARTICLE = 3


def date_filter(since: str | None = None, until: str | None = None) -> dict | None:
    """A Chroma `where` on the YYYYMMDD int each chunk carries. Undated articles pass an `until`."""
    clauses = []
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

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        analyzed = analyze(query, self.store.collection)
        query_vector = np.asarray(self.store.embedder.embed_query(analyzed.search_text))
        where = date_filter(self.since, self.until)
        collection = self.store.collection

        # chunk id -> (text, metadata, cosine similarity)
        pool: dict[str, tuple[str, dict, float]] = {}
        dense = collection.query(
            query_embeddings=[query_vector.tolist()],
            n_results=self.candidates,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        for chunk_id, text, meta, distance in zip(
            dense["ids"][0], dense["documents"][0], dense["metadatas"][0], dense["distances"][0], strict=True
        ):
            pool[chunk_id] = (text, meta, 1.0 - float(distance))

        phrases = tuple(p for t in analyzed.terms for p in t.phrases)
        keyword_hits = self.store.keyword_index.search(
            analyzed.question,
            phrases=phrases,
            k=self.candidates,
            since=int(self.since.replace("-", "")) if self.since else None,
            until=int(self.until.replace("-", "")) if self.until else None,
        )
        keyword_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(keyword_hits, start=1)}
        missing = [chunk_id for chunk_id in keyword_rank if chunk_id not in pool]
        if missing:
            extra = collection.get(ids=missing, include=["documents", "metadatas", "embeddings"])
            for chunk_id, text, meta, vector in zip(
                extra["ids"], extra["documents"], extra["metadatas"], extra["embeddings"], strict=True
            ):
                pool[chunk_id] = (text, meta, float(np.dot(query_vector, np.asarray(vector))))

        by_similarity = sorted(pool, key=lambda cid: pool[cid][2], reverse=True)
        dense_rank = {chunk_id: rank for rank, chunk_id in enumerate(by_similarity, start=1)}
        scored = []
        for chunk_id, (text, meta, similarity) in pool.items():
            fused = (rrf(dense_rank[chunk_id]) + rrf(keyword_rank.get(chunk_id))) * (RRF_K + 1) / 2
            term_share = coverage(analyzed, f"{meta.get('title', '')}\n{text}")
            fresh = recency(str(meta.get("date", "")), self.as_of)
            score = fused + COVERAGE_WEIGHT * term_share + RECENCY_WEIGHT * fresh
            scored.append((score, similarity, term_share, chunk_id, text, meta))
        scored.sort(key=lambda row: row[0], reverse=True)

        documents: list[Document] = []
        per_article: dict[str, int] = {}
        seen_texts: set[str] = set()
        for score, similarity, term_share, chunk_id, text, meta in scored:
            article_id = str(meta.get("article_id", ""))
            fingerprint = " ".join(text.lower().split())
            if fingerprint in seen_texts or per_article.get(article_id, 0) >= MAX_CHUNKS_PER_ARTICLE:
                continue
            seen_texts.add(fingerprint)
            per_article[article_id] = per_article.get(article_id, 0) + 1
            metadata = dict(
                meta,
                chunk_id=chunk_id,
                score=round(score, 4),
                similarity=round(similarity, 4),
                coverage=round(term_share, 4),
            )
            documents.append(Document(page_content=text, metadata=metadata, id=chunk_id))
            if len(documents) >= self.k:
                break
        return documents
