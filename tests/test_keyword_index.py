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
