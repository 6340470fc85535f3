"""The one place that builds the Chroma client, the collection and the LangChain vector store.

Chroma is told nothing about embeddings (`embedding_function=None`): we always pass vectors from
our own offline embedder, so Chroma's default embedding function (which downloads a model) never runs.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from langchain_core.embeddings import Embeddings

from qa.config import Settings
from qa.embeddings import get_embedder
from qa.keyword_index import KeywordIndex

COLLECTION_CONFIGURATION = {"hnsw": {"space": "cosine"}}
GENERATION_KEY = "newsqa_generation"


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
        # Built from settings (not handed in): another process can build the same one.
        self.embedder_is_configured = embedder is None
        self.client = chroma_client(settings)
        self.collection = self.client.get_or_create_collection(
            settings.collection, embedding_function=None, configuration=COLLECTION_CONFIGURATION
        )
        self._generation = self._stored_generation()
        self._checked_at = time.monotonic()
        self._refresh_lock = threading.Lock()

    # --- Several processes on one store: each write batch stamps a new generation on the collection;
    # a process that sees a generation it did not write reloads what it keeps in memory.

    def _stored_generation(self) -> str:
        return str((self.collection.metadata or {}).get(GENERATION_KEY, ""))

    def _stamp_generation(self) -> None:
        self._generation = uuid.uuid4().hex
        self.collection.modify(metadata={GENERATION_KEY: self._generation})

    def refresh(self, *, now: bool = False) -> bool:
        """Catch up with another process's writes, at most every QA_REFRESH_SECONDS (`now`: at once,
        reopening an embedded store even before the writer has stamped its batch). Returns whether it did.

        Embedded Chroma keeps its vector index in memory and never sees another process's vectors:
        the client is reopened. The keyword index is brought in step (a no-op when the writer shares
        its file). Queries already running keep the objects they hold.
        """
        if not now and time.monotonic() - self._checked_at < self.settings.refresh_seconds:
            return False
        with self._refresh_lock:
            self._checked_at = time.monotonic()
            collection = self.client.get_collection(self.settings.collection)
            generation = str((collection.metadata or {}).get(GENERATION_KEY, ""))
            if generation == self._generation and not now:
                return False
            if not self.settings.chroma_url:
                from chromadb.api.client import SharedSystemClient

                SharedSystemClient.clear_system_cache()
                self.client = chroma_client(self.settings)
                collection = self.client.get_collection(self.settings.collection)
            self.collection = collection
            self.keyword_index.sync(collection)
            self._generation = generation
            return True

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

    def is_empty(self) -> bool:
        """No committed chunk, after catching up with other writers. Asked before every question:
        the keyword index's cached count, where Chroma's count takes 15 ms at 150k chunks."""
        self.refresh()
        return self.keyword_index.count() == 0

    def article_count(self) -> int:
        return len(self.collection.get(where={"chunk_index": 0}, include=[])["ids"])

    def article_states(self, article_ids: list[str]) -> dict[str, ArticleState]:
        """What is stored now for these articles: the content hash of the newest complete version, and
        every chunk id of every version (all of them go when the article is written again). An
        article with no complete version (a writer died mid-article on another machine) gets an empty
        hash, so the next ingest writes it whole."""
        states: dict[str, ArticleState] = {}
        for start in range(0, len(article_ids), 200):
            batch = article_ids[start : start + 200]
            found = self.collection.get(where={"article_id": {"$in": batch}}, include=["metadatas"])
            rows_by_article: dict[str, list[tuple[str, dict]]] = {}
            for chunk_id, meta in zip(found["ids"], found["metadatas"], strict=True):
                rows_by_article.setdefault(str(meta["article_id"]), []).append((chunk_id, meta))
            for article_id, rows in rows_by_article.items():
                version = newest_complete_version(rows)
                states[article_id] = ArticleState(version or "", tuple(sorted(chunk_id for chunk_id, _ in rows)))
        return states

    def list_articles(self) -> list[dict]:
        """One row per stored article, newest first: what the Library shows and `/articles` returns."""
        found = self.collection.get(where={"chunk_index": 0}, include=["metadatas"])
        people = self.keyword_index.people_by_article()  # who is quoted in each (qa/attribution.py)
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
                "people": people.get(str(meta.get("article_id", "")), []),
            }
            for meta in found["metadatas"]
        ]
        rows.sort(key=lambda row: (row["date"], row["ingested_at"]), reverse=True)
        return rows

    def delete_articles(self, article_ids: list[str]) -> int:
        """Remove articles (write lock held): from the keyword index first, which hides them from readers at
        once, then from Chroma; a kill in between leaves chunks that the next `recover` removes."""
        states = self.article_states(article_ids)
        chunk_ids = sorted(cid for state in states.values() for cid in state.chunk_ids)
        if chunk_ids:
            _write_atomically(self.journal_path, json.dumps({"new_ids": [], "stale_ids": chunk_ids}))
            self.keyword_index.replace([], chunk_ids)
            for start in range(0, len(chunk_ids), self._max_batch()):
                self.collection.delete(ids=chunk_ids[start : start + self._max_batch()])
            self.journal_path.unlink(missing_ok=True)
            self._stamp_generation()
        return len(chunk_ids)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One writer at a time, across processes: Chroma's embedded mode is not process-safe, and two
        writers would interleave their journals. On entry, whatever a killed writer left is finished
        or undone first."""
        from filelock import FileLock

        path = keyword_index_path(self.settings).with_suffix(".write.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path)):
            self.recover()
            yield

    @property
    def journal_path(self) -> Path:
        return keyword_index_path(self.settings).with_suffix(".journal.json")

    def recover(self) -> int:
        """Finish or undo the batch a killed writer left (call with the write lock held). Returns chunks removed.

        If every new version the journal names is complete in Chroma, the write is finished: the old
        versions' chunks go. If not, the stale chunks were never touched (they go only after the
        commit), so the write is undone: the new chunks go and the next ingest writes those articles
        again. Either way the keyword index is then brought in step with Chroma.
        """
        path = self.journal_path
        if not path.exists():
            return 0
        try:
            journal = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # written atomically: unreadable means a damaged disk, not a kill
            journal = {}
        new_ids, stale_ids = list(journal.get("new_ids", [])), list(journal.get("stale_ids", []))
        present = set()
        for start in range(0, len(new_ids), self._max_batch()):
            present |= set(self.collection.get(ids=new_ids[start : start + self._max_batch()], include=[])["ids"])
        doomed = stale_ids if present.issuperset(new_ids) else new_ids
        for start in range(0, len(doomed), self._max_batch()):
            self.collection.delete(ids=doomed[start : start + self._max_batch()])
        self.keyword_index.replace([], doomed)
        self.keyword_index.sync(self.collection)
        path.unlink(missing_ok=True)
        self._stamp_generation()
        return len(doomed)

    def replace_articles(self, writes: list[ArticleWrite]) -> None:
        """Write several articles' chunks in one go, then drop the chunks of their earlier versions.

        Crash-safe, with the write lock held: a journal names the batch's new and stale chunks; the new
        chunks go into Chroma; the keyword-index transaction commits the batch (readers only take
        chunks the keyword index holds, so they see each article's old version or its new one, never
        half of one); the stale chunks leave Chroma; the journal goes. `recover` finishes or undoes a
        batch killed anywhere in between. One Chroma write and one transaction per batch.
        """
        index = self.keyword_index  # opened (and brought in step) before this batch reaches Chroma
        ids = [i for w in writes for i in w.new_ids]
        stale = sorted({i for w in writes for i in w.old_ids} - set(ids))
        _write_atomically(self.journal_path, json.dumps({"new_ids": ids, "stale_ids": stale}))
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
        index.replace(
            [
                (chunk_id, str(meta["article_id"]), int(meta.get("date_int", 0)), str(meta.get("title", "")), text)
                for w in writes
                for chunk_id, text, meta in zip(w.new_ids, w.documents, w.metadatas, strict=True)
            ],
            stale,
        )
        for start in range(0, len(stale), self._max_batch()):
            self.collection.delete(ids=stale[start : start + self._max_batch()])
        self.journal_path.unlink(missing_ok=True)
        self._stamp_generation()

    def _max_batch(self) -> int:
        try:
            return max(1, int(self.client.get_max_batch_size()))
        except Exception:  # older clients and servers: a size every backend takes
            return 1000


def article_of(chunk_id: str) -> str:
    """Chunk ids are "{article_id}-{content hash}-{index}" (ingest/pipeline.py)."""
    return chunk_id.rsplit("-", 2)[0]


def newest_complete_version(rows: list[tuple[str, dict]]) -> str | None:
    """The content hash of the newest version of one article whose chunks are all there, from
    (chunk_id, metadata) rows; None when no version is complete."""
    counts: dict[str, int] = {}
    for _, meta in rows:
        counts[str(meta.get("content_hash", ""))] = counts.get(str(meta.get("content_hash", "")), 0) + 1
    complete = {
        str(meta.get("content_hash", "")): str(meta.get("ingested_at", ""))
        for _, meta in rows
        if counts[str(meta.get("content_hash", ""))] == int(meta.get("n_chunks", 0) or 0)
    }
    return max(complete, key=lambda version: complete[version]) if complete else None


def _write_atomically(path: Path, text: str) -> None:
    """The whole file or the one before: a kill mid-write never leaves half a journal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


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
