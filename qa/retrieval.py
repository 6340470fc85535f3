"""Retrieval: dense search in Chroma, widened by exact-name matches, re-ranked by term coverage.

A LangChain retriever, so a chain can swap it or wrap it. Dense search alone misses what the
embedder cannot see (rare names, acronyms); the store's own keyword filter adds every chunk that
names what the question names, and all candidates are ranked by one score:
cosine similarity + COVERAGE_WEIGHT * the share of the question's terms the chunk holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.query import Query, analyze, features, term_match

COVERAGE_WEIGHT = 0.5
KEYWORD_CANDIDATES = 50
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


class NewsRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    k: int = 6
    candidates: int = 30
    since: str | None = None
    until: str | None = None

    def _keyword_candidates(self, query: Query, where: dict | None) -> dict[str, tuple[str, dict, Any]]:
        found: dict[str, tuple[str, dict, Any]] = {}
        needles = [t.label for t in query.terms if t.is_name]
        needles += [p for t in query.terms for p in t.phrases]
        for needle in needles:
            result = self.store.collection.get(
                where=where,
                where_document={"$contains": needle},
                limit=KEYWORD_CANDIDATES,
                include=["documents", "metadatas", "embeddings"],
            )
            for chunk_id, text, meta, vector in zip(
                result["ids"], result["documents"], result["metadatas"], result["embeddings"], strict=True
            ):
                found[chunk_id] = (text, meta, vector)
        return found

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        analyzed = analyze(query, self.store.collection)
        query_vector = np.asarray(self.store.embedder.embed_query(analyzed.search_text))
        where = date_filter(self.since, self.until)

        candidates: dict[str, tuple[str, dict, float]] = {}
        dense = self.store.collection.query(
            query_embeddings=[query_vector.tolist()],
            n_results=self.candidates,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        for chunk_id, text, meta, distance in zip(
            dense["ids"][0], dense["documents"][0], dense["metadatas"][0], dense["distances"][0], strict=True
        ):
            candidates[chunk_id] = (text, meta, 1.0 - float(distance))
        for chunk_id, (text, meta, vector) in self._keyword_candidates(analyzed, where).items():
            if chunk_id not in candidates:
                candidates[chunk_id] = (text, meta, float(np.dot(query_vector, np.asarray(vector))))

        scored = []
        for chunk_id, (text, meta, similarity) in candidates.items():
            term_share = coverage(analyzed, f"{meta.get('title', '')}\n{text}")
            scored.append(
                (similarity + COVERAGE_WEIGHT * term_share, similarity, term_share, chunk_id, text, meta)
            )
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
