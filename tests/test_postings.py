"""The in-memory BM25 (qa/postings.py) ranks as FTS5's bm25() does, and never answers from a stale picture."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.keyword_index import KeywordIndex, query_tokens

CHUNKS = [
    ("a-0", "a", 20240105, "Harbour crane repaired", "The harbour crane was repaired after the storm. Dogs barked."),
    ("a-1", "a", 20240105, "Harbour crane repaired", "Workers said the crane would run again by Friday."),
    ("b-0", "b", 20240210, "Café owners in Zürich", "The café owners of Zürich raised prices; the US dollar fell."),
    ("c-0", "c", 20240301, "Dog show", "A dog show in the harbour district drew 3,000 visitors 🌤 and their dogs."),
    ("d-0", "d", 20240315, "World Health Organization warning", "The World Health Organization warned of a storm."),
    ("e-0", "e", 20240402, "Budget", "The city budget funds a new crane, a new pier and a new harbour office."),
]
QUESTIONS = [
    "harbour crane",
    "dogs at the dog show",
    "cafe owners zurich",  # diacritics are folded on both sides
    "US dollar",  # two-letter words are not stemmed, as in FTS5
    "storm warning",
    "new pier",
]


def in_memory_and_fts(index: KeywordIndex, question: str, **bounds) -> tuple[list, list]:
    snapshot = index.postings.refresh()
    tokens = query_tokens(question)
    phrases = bounds.pop("phrases", ())
    bounds = {"since": None, "until": None, **bounds}
    memory = index._search_in_memory(snapshot, tokens, phrases, k=30, **bounds)
    fts = index._search_fts(tokens, phrases, k=30, **bounds)
    return memory, fts


def assert_same_ranking(memory: list, fts: list) -> None:
    assert [chunk_id for chunk_id, _ in memory] == [chunk_id for chunk_id, _ in fts]
    for (_, ours), (_, theirs) in zip(memory, fts, strict=True):
        assert ours == pytest.approx(theirs, rel=1e-6)


def test_scores_equal_fts5_bm25(tmp_path: Path):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.replace(CHUNKS)
    for question in QUESTIONS:
        memory, fts = in_memory_and_fts(index, question)
        assert memory, question
        assert_same_ranking(memory, fts)
    assert_same_ranking(*in_memory_and_fts(index, "harbour crane", since=20240201, until=20240331))
    memory, fts = in_memory_and_fts(index, "warned", phrases=("world health organization",))
    assert memory[0][0] == "d-0"
    assert_same_ranking(memory, fts)


def test_follows_another_connection_and_never_answers_stale(tmp_path: Path):
    reader = KeywordIndex(tmp_path / "k.sqlite3")
    writer = KeywordIndex(tmp_path / "k.sqlite3")  # another connection, as another process has
    writer.replace(CHUNKS[:2])
    reader.postings.refresh()
    assert reader.postings.current(reader.signature()) is not None

    writer.replace(CHUNKS[2:])
    assert reader.postings.current(reader.signature()) is None  # stale: searches take FTS5's path
    assert [chunk_id for chunk_id, _ in reader.search("dog show")][0] == "c-0"
    assert_same_ranking(*in_memory_and_fts(reader, "dog show"))

    # Deleting the newest chunk and adding another must not look like no change (rowids are never reused).
    writer.replace([("f-0", "f", 20240501, "Pier", "The pier reopened to fishing boats.")], ["e-0"])
    assert reader.postings.current(reader.signature()) is None
    found = [chunk_id for chunk_id, _ in reader.search("new pier")]
    assert "e-0" not in found and "f-0" in found
    memory, fts = in_memory_and_fts(reader, "harbour crane pier")
    assert {chunk_id for chunk_id, _ in memory} >= {"a-0", "f-0"}
    assert "e-0" not in {chunk_id for chunk_id, _ in memory}
    assert_same_ranking(memory, fts)

    merged = False
    for number in range(12):  # small additions, each read as a delta; a grown delta is merged
        writer.replace([(f"g-{number}", "g", 20240601, "Crane", f"Crane number {number} in the harbour.")])
        memory, fts = in_memory_and_fts(reader, "harbour crane")
        assert f"g-{number}" in {chunk_id for chunk_id, _ in memory}
        assert_same_ranking(memory, fts)
        merged |= reader.postings.snapshot.delta.size == 0
    assert merged


def test_a_search_that_finds_it_stale_starts_a_refresh(tmp_path: Path):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.replace(CHUNKS)
    assert index.postings.snapshot is None
    assert index.search("harbour crane")  # answered by FTS5 meanwhile
    index.postings.refresh_in_background().join(timeout=30)
    assert index.postings.current(index.signature()) is not None
    assert index.postings.error is None
