"""Fusion, dates and recency, hygiene, neighbour merging and the reranker hook, on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.documents import Document

from ingest.pipeline import ingest_paths
from qa.query import analyze, named_dates
from qa.retrieval import NewsRetriever, merge_neighbours

# The integration suite: each test runs on an embedded store and on a real Chroma server.
BOTH_STORE_MODES = True


@pytest.fixture
def filled(store, articles_dir: Path):
    ingest_paths([articles_dir], store, show_progress=False)
    return store


def texts(documents: list[Document]) -> str:
    return "\n".join(d.page_content for d in documents)


def test_fusion_keeps_keyword_hits_that_dense_search_ranks_low(filled):
    question = "Selby"
    dense_top = filled.collection.query(query_embeddings=[filled.embedder.embed_query(question)], n_results=1)["ids"][0]
    documents = NewsRetriever(store=filled, k=4, candidates=1).invoke(question)
    ids = [d.id for d in documents]
    assert "Selby Strait" in documents[0].page_content  # the only chunk with the word, found by BM25
    assert dense_top[0] in ids  # and the dense list's best is fused in too


def test_named_dates():
    assert named_dates("What happened in October 2023?") == ("2023-10-01", "2023-10-31")
    assert named_dates("Who spoke on Feb. 14, 2024 in Marlow?") == ("2024-02-14", "2024-02-14")
    assert named_dates("What changed during 2022?") == ("2022-01-01", "2022-12-31")
    assert named_dates("What happened on February 30, 2024?") is None
    assert named_dates("Who won the 2022 cup?") is None  # a bare number is not a date range
    assert analyze("What did Falk say in February 2024?").date_range == ("2024-02-01", "2024-02-29")


def test_time_words_relative_to_the_day_of_asking():
    for question in ("What happened this week?", "Who will play later this year?", "What opens next month?"):
        assert analyze(question).wants_recent, question
    for question in ("What did Falk say about grain?", "Who won the 2022 cup?", "What is a week?"):
        assert not analyze(question).wants_recent, question


def test_recency_favours_news_just_before_the_as_of_date_and_never_after(store, tmp_path: Path):
    rows = [
        {
            "url": f"https://example.org/ferry-{day}",
            "date": f"2024-05-{day:02d}",
            "title": f"Ferry strike update {day}",
            "text": f"Ferry crews in Eastport continued their strike over pay, the union said (update {day}).",
        }
        for day in (1, 10, 20)
    ]
    (tmp_path / "ferry.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    ingest_paths([tmp_path / "ferry.jsonl"], store, show_progress=False)
    documents = NewsRetriever(store=store, k=3, until="2024-05-12", as_of="2024-05-12").invoke(
        "Are the Eastport ferry crews still on strike?"
    )
    assert [d.metadata["date"] for d in documents] == ["2024-05-10", "2024-05-01"]


def test_a_named_month_lifts_articles_from_it(store, tmp_path: Path):
    rows = [
        {
            "url": f"https://example.org/budget-{month}",
            "date": f"2024-{month:02d}-15",
            "title": "City budget vote",
            "text": "The city council voted on the budget for parks and roads.",
        }
        for month in (3, 6)
    ]
    (tmp_path / "budget.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    ingest_paths([tmp_path / "budget.jsonl"], store, show_progress=False)
    for month, name in ((3, "March"), (6, "June")):
        top = NewsRetriever(store=store, k=2).invoke(f"How did the council vote on the budget in {name} 2024?")[0]
        assert top.metadata["date"] == f"2024-{month:02d}-15"


def test_near_duplicates_are_dropped(store, tmp_path: Path):
    text = "The harbour crane in Eastport was repaired after a storm damaged its arm last winter."
    rows = [{"url": f"https://example.org/crane-{i}", "title": "Crane repaired", "text": text} for i in range(3)]
    (tmp_path / "crane.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    ingest_paths([tmp_path / "crane.jsonl"], store, show_progress=False)
    documents = NewsRetriever(store=store, k=3).invoke("Was the Eastport harbour crane repaired?")
    assert sum(text in d.page_content for d in documents) == 1


def test_reranker_hook_reorders(filled):
    def prefers_trams(question: str, candidates: list[str]) -> list[float]:
        return [1.0 if "tram" in text.lower() else 0.0 for text in candidates]

    plain = NewsRetriever(store=filled, k=3).invoke("Which district got a new swimming pool?")
    reranked = NewsRetriever(store=filled, k=3, reranker=prefers_trams).invoke(
        "Which district got a new swimming pool?"
    )
    assert "swimming pool" in plain[0].page_content
    assert "tram" in reranked[0].page_content.lower()


def test_merge_neighbours_joins_adjacent_chunks_once():
    def chunk(article: str, index: int, text: str) -> Document:
        return Document(
            page_content=text, metadata={"article_id": article, "chunk_index": index}, id=f"{article}-{index}"
        )

    merged = merge_neighbours(
        [
            chunk("a", 3, "P3\n\nP4"),
            chunk("b", 0, "Q0"),
            chunk("a", 2, "P2\n\nP3"),
            chunk("a", 7, "P7"),
        ]
    )
    assert [d.page_content for d in merged] == ["P2\n\nP3\n\nP4", "Q0", "P7"]
    assert merged[0].metadata["chunk_indexes"] == [2, 3] and merged[0].metadata["chunk_index"] == 2


def test_without_an_as_of_date_today_sets_the_recency_prior(store, settings, tmp_path: Path):
    from datetime import date, timedelta

    from qa.chain import make_retriever

    rows = [
        {
            "url": f"https://example.org/dam-{age}",
            "date": (date.today() - timedelta(days=age)).isoformat(),
            "title": "Dam inspection",
            "text": f"Engineers inspected the Northfield dam. {finding}",
        }
        for age, finding in ((400, "They found no cracks in its wall."), (2, "A valve will be replaced in spring."))
    ]
    (tmp_path / "dam.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    ingest_paths([tmp_path / "dam.jsonl"], store, show_progress=False)
    documents = make_retriever(store, settings, k=2).invoke("Was the Northfield dam inspected?")
    assert [d.metadata["url"] for d in documents] == ["https://example.org/dam-2", "https://example.org/dam-400"]


def test_a_store_of_one_long_article_hands_over_several_of_its_chunks(store, tmp_path: Path):
    topics = ["harbour dredging", "school meals", "bus timetables", "library hours", "park benches"]
    paragraphs = [
        f"The council of Wexcombe discussed {topic} at length on Monday. " + "Members debated the details. " * 20
        for topic in topics
    ]
    paragraphs.append("Mayor Orla Penrose said the tram depot on Quay Street would open in 2026, after years of delay.")
    (tmp_path / "council.txt").write_text("# Wexcombe council meets\n\n" + "\n\n".join(paragraphs))
    ingest_paths([tmp_path / "council.txt"], store, show_progress=False)
    assert store.collection.count() >= 4
    documents = NewsRetriever(store=store, k=4).invoke("What did Penrose say about the tram depot?")
    assert len(documents) > 1  # one article, yet more than one of its chunks
    assert "tram depot on Quay Street" in texts(documents)
