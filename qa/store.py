"""The one place that builds the Chroma client, the collection and the LangChain vector store.

Chroma is told nothing about embeddings (`embedding_function=None`): we always pass vectors from
our own offline embedder, so Chroma's default embedding function (which downloads a model) never runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from langchain_core.embeddings import Embeddings

from qa.config import Settings
from qa.embeddings import get_embedder
from qa.keyword_index import KeywordIndex

COLLECTION_CONFIGURATION = {"hnsw": {"space": "cosine"}}


@dataclass(frozen=True)
class ArticleState:
    content_hash: str
    chunk_ids: tuple[str, ...]


def chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        parts = urlsplit(settings.chroma_url)
        return chromadb.HttpClient(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=chroma_settings,
        )
    Path(settings.db_dir).mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.db_dir), settings=chroma_settings)


class Store:
    """Chunks of articles in one Chroma collection; every chunk carries its article's metadata."""

    def __init__(self, settings: Settings, embedder: Embeddings | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.client = chroma_client(settings)
        self.collection = self.client.get_or_create_collection(
            settings.collection, embedding_function=None, configuration=COLLECTION_CONFIGURATION
        )

    @property
    def embedder(self) -> Embeddings:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embed_model, self.settings.embed_backend)
        return self._embedder

    @cached_property
    def keyword_index(self) -> KeywordIndex:
        """The BM25 index beside Chroma, brought in step with Chroma when first opened in a process."""
        index = KeywordIndex(keyword_index_path(self.settings))
        index.sync(self.collection)
        return index

    @cached_property
    def vectorstore(self):
        from langchain_chroma import Chroma

        return Chroma(
            client=self.client,
            collection_name=self.settings.collection,
            embedding_function=self.embedder,
            collection_configuration=COLLECTION_CONFIGURATION,
        )

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.db_dir)

    def chunk_count(self) -> int:
        return self.collection.count()

    def article_count(self) -> int:
        return len(self.collection.get(where={"chunk_index": 0}, include=[])["ids"])

    def article_states(self, article_ids: list[str]) -> dict[str, ArticleState]:
        """What is stored now for these articles: the content hash and every chunk id."""
        states: dict[str, ArticleState] = {}
        for start in range(0, len(article_ids), 200):
            batch = article_ids[start : start + 200]
            found = self.collection.get(where={"article_id": {"$in": batch}}, include=["metadatas"])
            ids_by_article: dict[str, list[str]] = {}
            hash_by_article: dict[str, str] = {}
            for chunk_id, meta in zip(found["ids"], found["metadatas"], strict=True):
                article_id = str(meta["article_id"])
                ids_by_article.setdefault(article_id, []).append(chunk_id)
                hash_by_article[article_id] = str(meta.get("content_hash", ""))
            for article_id, chunk_ids in ids_by_article.items():
                states[article_id] = ArticleState(hash_by_article[article_id], tuple(sorted(chunk_ids)))
        return states

    def list_articles(self) -> list[dict]:
        """One row per stored article, newest first: what the Library shows and `/articles` returns."""
        found = self.collection.get(where={"chunk_index": 0}, include=["metadatas"])
        rows = [
            {
                "article_id": str(meta.get("article_id", "")),
                "title": str(meta.get("title", "")),
                "date": str(meta.get("date", "")),
                "source": str(meta.get("source", "")),
                "url": str(meta.get("url", "")),
                "file": str(meta.get("path", "")),  # not "path": Gradio would take the row for a file to send
                "chunks": int(meta.get("n_chunks", 0) or 0),
                "ingested_at": str(meta.get("ingested_at", "")),
            }
            for meta in found["metadatas"]
        ]
        rows.sort(key=lambda row: (row["date"], row["ingested_at"]), reverse=True)
        return rows

    def delete_articles(self, article_ids: list[str]) -> int:
        """Remove articles: their chunks from Chroma and from the keyword index. Returns chunks removed."""
        states = self.article_states(article_ids)
        chunk_ids = sorted(cid for state in states.values() for cid in state.chunk_ids)
        if chunk_ids:
            self.collection.delete(ids=chunk_ids)
            self.keyword_index.replace([], chunk_ids)
        return len(chunk_ids)

    def replace_articles(self, writes: list[ArticleWrite]) -> None:
        """Write several articles' chunks in one go, then drop the chunks of their earlier versions.

        New chunk ids carry the content hash, so each new version is complete before its old one goes;
        one Chroma write and one keyword-index transaction per batch, not per article.
        """
        ids = [i for w in writes for i in w.new_ids]
        if ids:
            documents = [d for w in writes for d in w.documents]
            embeddings = [e for w in writes for e in w.embeddings]
            metadatas = [m for w in writes for m in w.metadatas]
            step = self._max_batch()
            for start in range(0, len(ids), step):
                end = start + step
                self.collection.upsert(
                    ids=ids[start:end],
                    documents=documents[start:end],
                    embeddings=embeddings[start:end],
                    metadatas=metadatas[start:end],
                )
        stale = sorted({i for w in writes for i in w.old_ids} - set(ids))
        if stale:
            self.collection.delete(ids=stale)
        self.keyword_index.replace(
            [
                (chunk_id, str(meta["article_id"]), int(meta.get("date_int", 0)), str(meta.get("title", "")), text)
                for w in writes
                for chunk_id, text, meta in zip(w.new_ids, w.documents, w.metadatas, strict=True)
            ],
            stale,
        )

    def _max_batch(self) -> int:
        try:
            return max(1, int(self.client.get_max_batch_size()))
        except Exception:  # older clients and servers: a size every backend takes
            return 1000


@dataclass
class ArticleWrite:
    """One article's new chunks, and the chunk ids of the version it replaces."""

    new_ids: list[str]
    documents: list[str]
    embeddings: list[list[float]]
    metadatas: list[dict]
    old_ids: tuple[str, ...] = ()


def keyword_index_path(settings: Settings) -> Path:
    """Next to the Chroma files; for a Chroma server, a local file per server and collection."""
    name = f"keyword-{settings.collection}.sqlite3"
    if settings.chroma_url:
        server = "".join(ch if ch.isalnum() else "_" for ch in settings.chroma_url)
        return Path(settings.db_dir).parent / "keyword-index" / f"{server}-{name}"
    return Path(settings.db_dir) / name


_stores: dict[tuple, Store] = {}
_stores_lock = threading.Lock()


def get_store(settings: Settings) -> Store:
    """One Store per (location, collection, model) per process."""
    key = (
        settings.chroma_url,
        str(Path(settings.db_dir).resolve()),
        settings.collection,
        settings.embed_model,
        settings.embed_backend,
    )
    with _stores_lock:
        if key not in _stores:
            _stores[key] = Store(settings)
        return _stores[key]
