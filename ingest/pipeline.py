"""Idempotent ingest: unchanged articles write nothing; a changed article replaces all its chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from queue import Full, Queue
from threading import Event, Thread

from ingest.articles import Article
from ingest.chunking import Chunk, chunk_article
from ingest.loaders import is_supported, load_file
from qa.embedding_worker import EmbeddingWorker, InlineEmbedding
from qa.store import ArticleState, ArticleWrite, Store

BATCH_ARTICLES = 64
PREFETCH_ARTICLES = 256  # parsed articles waiting for the embedder


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def fail(self, path: str, error: str) -> None:
        self.failed.append({"path": path, "error": error})

    def merge(self, other: IngestReport) -> IngestReport:
        """Add another report's counts and failures to this one (files, pages and feeds in one report)."""
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.chunks += other.chunks
        self.failed.extend(other.failed)
        return self

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "chunks": self.chunks,
        }

    def summary_line(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.failed)} failed ({self.chunks} chunks written)"
        )


def discover(paths: Iterable[Path], report: IngestReport) -> Iterator[Path]:
    """Files to read: named files as they are, folders recursively (supported types, no hidden files)."""
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and is_supported(child) and not any(p.startswith(".") for p in relative):
                    yield child
        else:
            report.fail(str(path), "no such file or folder")


def chunk_metadata(article: Article, index: int, n_chunks: int, ingested_at: str) -> dict:
    return {
        "article_id": article.article_id,
        "title": article.title,
        "date": article.date,
        # Chroma compares numbers, not strings: YYYYMMDD as an int makes date ranges filterable.
        "date_int": int(article.date.replace("-", "")) if article.date else 0,
        "source": article.source,
        "url": article.url,
        "path": article.path,
        "authors": ", ".join(article.authors),
        "chunk_index": index,
        "n_chunks": n_chunks,
        "content_hash": article.content_hash,
        "ingested_at": ingested_at,
    }


@dataclass
class _Planned:
    """An article to write: what is stored for it now (None: nothing) and its new chunks."""

    article: Article
    state: ArticleState | None
    chunks: list[Chunk]


def _plan_batch(
    articles: list[Article], store: Store, report: IngestReport, in_flight: dict[str, ArticleState]
) -> list[_Planned]:
    """The batch's new and changed articles, chunked. `in_flight`: what the batch still being
    embedded will have stored, which Chroma does not hold yet (an article twice in one run)."""
    latest: dict[str, Article] = {}
    for article in articles:  # the same article twice in one batch: the later one wins
        latest[article.article_id] = article
    states = store.article_states([i for i in latest if i not in in_flight])
    states.update({i: in_flight[i] for i in latest if i in in_flight})
    planned = []
    for article in latest.values():
        state = states.get(article.article_id)
        if state and state.content_hash == article.content_hash:
            report.unchanged += 1
            continue
        chunks = chunk_article(
            article.text, title=article.title, date=article.date, max_chars=store.settings.chunk_chars
        )
        planned.append(_Planned(article, state, chunks))
    return planned


def _chunk_ids(planned: _Planned) -> list[str]:
    article = planned.article
    return [f"{article.article_id}-{article.content_hash[:8]}-{c.index}" for c in planned.chunks]


def _states_after(planned: list[_Planned]) -> dict[str, ArticleState]:
    return {p.article.article_id: ArticleState(p.article.content_hash, tuple(_chunk_ids(p))) for p in planned}


def _write_batch(planned: list[_Planned], vectors: list[list[float]], store: Store, report: IngestReport) -> None:
    ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
    writes = []
    offset = 0
    for item in planned:
        n = len(item.chunks)
        writes.append(
            ArticleWrite(
                new_ids=_chunk_ids(item),
                documents=[c.text for c in item.chunks],
                embeddings=vectors[offset : offset + n],
                metadatas=[chunk_metadata(item.article, c.index, n, ingested_at) for c in item.chunks],
                old_ids=item.state.chunk_ids if item.state else (),
            )
        )
        offset += n
    store.replace_articles(writes)
    for item in planned:
        report.chunks += len(item.chunks)
        if item.state:
            report.updated += 1
        else:
            report.added += 1


def _prefetched(items: Iterable[Article], depth: int = PREFETCH_ARTICLES) -> Iterator[Article]:
    """Read and parse the next articles in a thread while this one embeds: the model releases the GIL,
    so on two cores parsing (trafilatura, JSON) overlaps embedding instead of waiting for it."""
    queue: Queue = Queue(maxsize=depth)
    done = object()
    failure: list[BaseException] = []
    stopped = Event()

    def put(item: object) -> bool:
        while not stopped.is_set():
            try:
                queue.put(item, timeout=0.2)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return  # the consumer gave up (an error while writing): stop reading
        except BaseException as err:  # handed to the consumer, raised there
            failure.append(err)
        finally:
            put(done)

    Thread(target=produce, name="ingest-reader", daemon=True).start()
    try:
        while (item := queue.get()) is not done:
            yield item
    finally:
        stopped.set()
    if failure:
        raise failure[0]


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _embedding_for(store: Store, *, bulk: bool) -> InlineEmbedding | EmbeddingWorker:
    """A child process embeds for a bulk ingest (more than one batch), so that each batch's writes
    overlap the next one's embedding; a small ingest, or an embedder handed to the store, embeds here."""
    if bulk and store.embedder_is_configured:
        return EmbeddingWorker(store.settings.embed_model, store.settings.embed_backend)
    return InlineEmbedding(store.embedder)


def ingest_articles(articles: Iterable[Article], store: Store, report: IngestReport, progress=None) -> None:
    """Plan a batch (unchanged articles out, the rest chunked), send its texts to be embedded, then
    write the batch before it while they are. One batch is in flight at a time."""
    embedding = None
    waiting: tuple[list[_Planned], int] | None = None  # a planned batch being embedded, its size

    def write_waiting() -> None:
        planned, size = waiting
        if planned:
            _write_batch(planned, embedding.result(), store, report)
        if progress is not None:
            progress.update(size)

    try:
        for batch in _batches(_prefetched(articles), BATCH_ARTICLES):
            if embedding is None:
                embedding = _embedding_for(store, bulk=len(batch) == BATCH_ARTICLES)
            planned = _plan_batch(batch, store, report, _states_after(waiting[0]) if waiting else {})
            if planned:
                embedding.submit([c.embed_text for item in planned for c in item.chunks])
            if waiting:
                write_waiting()
            waiting = (planned, len(batch))
        if waiting:
            write_waiting()
    finally:
        if embedding is not None:
            embedding.close()


def _articles_from_files(files: Iterable[Path], report: IngestReport) -> Iterator[Article]:
    for path in files:
        loaded = load_file(path)
        for where, error in loaded.problems:
            report.fail(where, error)
        yield from loaded.articles


def ingest_paths(paths: Iterable[Path], store: Store, *, show_progress: bool | None = None) -> IngestReport:
    from tqdm import tqdm

    report = IngestReport()
    # disable=None: a bar on a terminal, none in logs and pipes.
    with (
        store.writing(),
        tqdm(unit=" articles", disable=show_progress is False or None, leave=False) as bar,
    ):
        ingest_articles(_articles_from_files(discover(paths, report), report), store, report, bar)
    return report
