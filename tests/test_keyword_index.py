"""The BM25 index stays in step with Chroma through ingest, update and delete, and repairs drift."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import ingest_paths
from qa.keyword_index import KeywordIndex, match_expression
from qa.store import Store, keyword_index_path


def chroma_ids(store: Store) -> set[str]:
    return set(store.collection.get(include=[])["ids"])


def test_in_step_after_ingest_update_and_delete(store, articles_dir: Path):
    ingest_paths([articles_dir], store, show_progress=False)
    assert store.keyword_index.chunk_ids() == chroma_ids(store)
    top_id = store.keyword_index.search("Selby Strait bridge")[0][0]
    assert "Selby Strait" in store.collection.get(ids=[top_id])["documents"][0]

    (articles_dir / "summit.txt").write_text(" date 2024-02-15 Talks in Marlow were postponed by a storm.\n")
    ingest_paths([articles_dir], store, show_progress=False)
    assert store.keyword_index.chunk_ids() == chroma_ids(store)
    assert store.keyword_index.search("Selby Strait") == []
    assert len(store.keyword_index.search("postponed storm")) == 1

    pool_article = store.collection.get(where_document={"$contains": "swimming pool"})["metadatas"][0]["article_id"]
    removed = store.delete_articles([pool_article])
    assert removed == 1
    assert store.keyword_index.chunk_ids() == chroma_ids(store)
    assert store.keyword_index.search("swimming pool") == []


def test_sync_rebuilds_a_lost_index_and_drops_strays(store, articles_dir: Path, settings):
    ingest_paths([articles_dir], store, show_progress=False)
    path = keyword_index_path(settings)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    fresh = KeywordIndex(path)
    assert fresh.count() == 0
    assert fresh.sync(store.collection) == (len(chroma_ids(store)), 0)
    fresh.replace([("stray-chunk", "gone", 0, "Stray", "a chunk Chroma never had")])
    assert fresh.sync(store.collection) == (0, 1)
    assert fresh.chunk_ids() == chroma_ids(store)


def test_date_bounds_and_query_quoting(tmp_path: Path):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.replace(
        [
            ("a-1", "a", 20240101, "Old harbour news", "The harbour crane was repaired."),
            ("b-1", "b", 20240301, "New harbour news", "The harbour crane broke again."),
        ]
    )
    assert [cid for cid, _ in index.search("harbour crane")] != []
    assert [cid for cid, _ in index.search("harbour crane", until=20240201)] == ["a-1"]
    assert [cid for cid, _ in index.search("harbour crane", since=20240201)] == ["b-1"]
    # FTS5 operators in a question are words, not syntax.
    assert index.search('crane" OR NEAR(x AND -') is not None
    assert match_expression("What did he say?") == ""
    assert (
        match_expression("BRI talks", ("Belt and Road Initiative",)) == '"bri" OR "talks" OR "belt and road initiative"'
    )


def test_acronym_lexicon_follows_the_store(store, articles_dir: Path):
    ingest_paths([articles_dir], store, show_progress=False)
    assert store.keyword_index.expand_acronym("GCI") == ["Green Corridor Initiative"]
    assert store.keyword_index.expand_acronym("CSF") == ["Coastal States Forum"]
    (articles_dir / "summit.txt").write_text(" date 2024-02-15 Talks in Marlow were postponed by a storm.\n")
    ingest_paths([articles_dir], store, show_progress=False)
    assert store.keyword_index.expand_acronym("GCI") == []  # gone with the article that spelled it out


def test_phrases_and_definitions():
    from qa.acronyms import phrases_in

    found = phrases_in("Officials of the Eurasian Economic Union met. They use machine learning (ML) daily.")
    assert ("EEU", "Eurasian Economic Union", 1) in found
    assert ("ML", "machine learning", 3) in found


def test_rarity_weighs_rare_words_more(store, articles_dir: Path):
    ingest_paths([articles_dir], store, show_progress=False)
    index = store.keyword_index
    assert index.rarity("Selby") > index.rarity("the city") >= 0.0
    assert index.rarity("zyxwvut") == 1.0


def test_counts_and_frequencies_follow_writes_from_any_connection(tmp_path: Path):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.replace([("a-1", "a", 0, "Harbour", "The harbour crane was repaired.")])
    assert (index.count(), index.document_frequency("harbour")) == (1, 1)
    index.replace([("b-1", "b", 0, "Harbour", "The harbour crane broke again.")])
    assert (index.count(), index.document_frequency("harbour")) == (2, 2)
    other = KeywordIndex(tmp_path / "k.sqlite3")  # another connection, as another process would have
    other.replace([], ["a-1"])
    assert (index.count(), index.document_frequency("harbour")) == (1, 1)


def test_words_in_most_chunks_leave_the_match_in_a_large_store(tmp_path: Path):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    filler = [(f"f-{i}", f"f{i}", 0, "Daily", f"The council said the weather was fine, day {i}.") for i in range(1200)]
    index.replace([*filler, ("q-1", "q", 0, "Quarry", "The quarry at Selby flooded.")])
    # "council" and "weather" are in nearly every chunk: left out, so only the rare words decide.
    assert [cid for cid, _ in index.search("council weather quarry Selby flooded")] == ["q-1"]
    # A question of few words keeps them all, however common.
    assert len(index.search("council weather", k=50)) == 50
