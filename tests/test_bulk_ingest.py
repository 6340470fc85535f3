"""A bulk ingest (more than one batch) embeds in a child process while it writes: same vectors and
the same stored result as embedding in process, an article twice in one run kept once, and a
worker that fails stops the ingest with its reason and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ingest.pipeline as pipeline
from ingest.pipeline import BATCH_ARTICLES, ingest_paths
from qa.config import Settings
from qa.embedding_worker import EmbeddingWorker
from qa.store import Store

TOWNS = ["Marlow", "Selby", "Kirkwall", "Penrith", "Alnwick", "Tenby", "Oban", "Ripon", "Ludlow", "Hexham"]


def _record(number: int, version: str = "first") -> dict:
    town = TOWNS[number % len(TOWNS)]
    text = (
        f"The {town} council voted on plan number {number} on Tuesday, the {version} version of the story.\n\n"
        f"Councillor Ada Brenner said the {town} bridge repairs would cost {number * 1000} pounds.\n\n"
        f"Work on lot {number} starts in spring, officials said."
    )
    title = f"{town} plan {number}"
    return {"url": f"https://example.com/{number}", "title": title, "date": "2024-03-01", "text": text}


@pytest.fixture
def bulk_file(tmp_path: Path) -> Path:
    """Two and a half batches; article 10 appears again in the second batch with new text."""
    records = [_record(n) for n in range(2 * BATCH_ARTICLES + 20)]
    records[BATCH_ARTICLES + 6] = _record(10, version="second")
    path = tmp_path / "bulk.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def workers_started(monkeypatch) -> list[EmbeddingWorker]:
    started: list[EmbeddingWorker] = []
    original = pipeline.EmbeddingWorker

    def counting(*args, **kwargs):
        started.append(original(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(pipeline, "EmbeddingWorker", counting)
    return started


def test_bulk_ingest_embeds_in_a_worker_with_the_same_vectors(tmp_path, bulk_file, workers_started, embedder):
    store = Store(Settings(db_dir=tmp_path / "chroma", collection="bulk", llm="extractive"))
    report = ingest_paths([bulk_file], store, show_progress=False)

    assert len(workers_started) == 1
    # 2 * 64 + 20 lines, one of them a second version of an article in the batch before it.
    assert (report.added, report.updated, report.unchanged, report.failed) == (2 * BATCH_ARTICLES + 19, 1, 0, [])
    # Each record is one chunk; the first version of article 10 was written, then replaced.
    assert report.chunks == 2 * BATCH_ARTICLES + 20
    assert store.chunk_count() == store.article_count() == 2 * BATCH_ARTICLES + 19
    twice = store.collection.get(where={"url": "https://example.com/10"}, include=["documents"])
    assert len(twice["ids"]) == 1 and "second version" in twice["documents"][0]
    assert store.keyword_index.count() == store.chunk_count()

    stored = store.collection.get(limit=40, include=["documents", "embeddings", "metadatas"])
    for chunk_id, text, vector, meta in zip(
        stored["ids"], stored["documents"], stored["embeddings"], stored["metadatas"], strict=True
    ):
        header = f"{meta['title']}\n{meta['date']}"
        if meta["chunk_index"] == 0:  # the first chunk embeds its whole text after the header
            here = np.array(embedder.embed_documents([f"{header}\n\n{text}"])[0])
            assert float(np.dot(here, vector)) > 0.9999, chunk_id


def test_a_failing_worker_stops_the_ingest_with_its_reason(tmp_path, bulk_file, workers_started):
    store = Store(Settings(db_dir=tmp_path / "chroma", collection="bulk", llm="extractive", embed_backend="abacus"))
    with pytest.raises(RuntimeError, match="embedding worker failed.*QA_EMBED_BACKEND"):
        ingest_paths([bulk_file], store, show_progress=False)
    assert len(workers_started) == 1
    assert workers_started[0]._process.poll() is not None  # closed, not left running
    assert store.chunk_count() == 0 and store.keyword_index.count() == 0
    assert not store.journal_path.exists()
