"""Questions against a real store: attribution across "he said", acronyms, not-found, citations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from qa.chain import QuestionError, answer, search
from qa.query import analyze
from tests.conftest import cli, run_env

# The integration suite: each test runs on an embedded store and on a real Chroma server.
BOTH_STORE_MODES = True

BRANDT_FORUM = "Brandt welcomed the success of the first Green Corridor Summit"
BRANDT_ALIGN = "Southmark is willing to align the Green Corridor Initiative"
FALK_BRIDGE = "Northland is ready to fund a joint study"


@pytest.fixture
def filled(store, articles_dir: Path, settings):
    ingest_paths([articles_dir], store, show_progress=False)
    return store


def ask(store, question: str, **options):
    return answer(question, settings=store.settings, store=store, **options)


def test_acronym_is_expanded_from_the_stored_text(filled):
    query = analyze("What did Brandt say about GCI?", filled.keyword_index)
    assert query.expansions == {"GCI": ("Green Corridor Initiative",)}
    assert "Green Corridor Initiative" in query.search_text


def test_speaker_statements_across_he_said(filled):
    result = ask(filled, "What did Brandt say about GCI?")
    assert result.found
    assert BRANDT_FORUM in result.answer and BRANDT_ALIGN in result.answer
    assert FALK_BRIDGE not in result.answer  # Falk's "she said", not Brandt's
    assert result.answer.index(BRANDT_FORUM) < result.answer.index(BRANDT_ALIGN)  # reading order
    assert len(result.answer) <= 800
    (source,) = result.sources
    assert source.n == 1 and source.date == "2024-02-14" and source.source == "summit.txt"
    assert result.answer.count("[1]") == 2
    assert BRANDT_ALIGN in source.text and all(q in source.text for q in source.quotes)


def test_each_marker_points_at_the_source_that_holds_the_sentence(filled):
    result = ask(filled, "When were pickers told to arrive for the apple harvest?")
    assert result.found
    for source in result.sources:
        for quote in source.quotes:
            assert f"{quote} [{source.n}]" in result.answer
    assert result.sources[0].title == "Orchard growers expect a late apple harvest"
    # The "what did X say" path quotes each statement, then its marker.
    said = ask(filled, "What did Lena Moss say about the apple harvest?")
    assert said.found and said.answer.startswith("Lena Moss (2024-09-02): “")
    for source in said.sources:
        for quote in source.quotes:
            assert f"“{quote}” [{source.n}]" in said.answer and quote in source.text


def test_articles_dont_say(filled):
    result = ask(filled, "What did Brandt say about football?")
    assert not result.found
    assert result.answer == "Oskar Brandt is quoted in the articles, but not about football."
    assert result.sources == []
    result = ask(filled, "Who won the chess olympiad in Budapest?")
    assert not result.found and result.answer.startswith("The articles don't say.")


def test_date_filters(filled):
    assert ask(filled, "What did Brandt say about GCI?", until="2024-02-13").found is False
    assert ask(filled, "What did Brandt say about GCI?", since="2024-02-01", as_of="2024-03-01").found
    with pytest.raises(QuestionError, match="YYYY-MM-DD"):
        ask(filled, "What did Brandt say?", since="last week")


def test_empty_store_and_bad_questions(store):
    result = ask(store, "What did Brandt say?")
    assert not result.found and "python -m ingest" in result.answer
    for question in ["", "   \n\t", "\x00\x01"]:
        with pytest.raises(QuestionError, match="empty"):
            ask(store, question)
    with pytest.raises(QuestionError, match="too long"):
        ask(store, "why " * 1000)


def test_search_ranks_the_right_article_first(filled):
    hits = search("swimming pool opening", settings=filled.settings, store=filled)
    assert hits[0].title == "City opens new swimming pool" and hits[0].rank == 1


def test_cli_ask_json(tmp_path: Path, articles_dir: Path):
    env = run_env(QA_DB_DIR=str(tmp_path / "db"))
    cli("-m", "ingest", str(articles_dir), env=env, check=True)
    done = cli("-m", "qa", "ask", "What did Brandt say about GCI?", "--json", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["found"] is True and BRANDT_ALIGN in result["answer"]
    assert result["sources"][0]["n"] == 1 and set(result["timings_ms"]) == {"retrieve", "answer"}
    empty = cli("-m", "qa", "ask", " ", env=env)
    assert empty.returncode == 2 and "empty" in empty.stderr
