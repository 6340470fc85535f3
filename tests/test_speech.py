"""Question routing and the "What did X say about Y?" path, on an article written for the tests in
the seed article's shape (two leaders, both closed by "he said")."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from qa.chain import answer
from qa.routing import route

SUMMIT = (Path(__file__).parent / "data" / "speech" / "summit.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "question, kind, who, topic",
    [
        ("What did Mishustin say about BRI?", "said", "Mishustin", "BRI"),
        ("What did Russian Prime Minister Mikhail Mishustin say about the Belt and Road Initiative?", "said",
         "Mikhail Mishustin", "the Belt and Road Initiative"),
        ("What was Orlov's position on energy?", "said", "Orlov", "energy"),
        ("How did Li describe the partnership?", "said", "Li", "the partnership"),
        ("Did Orlov mention hockey?", "said", "Orlov", "hockey"),
        ("What has Li said?", "said", "Li", ""),
        ("What did the report say about inflation?", "ordinary", "", ""),
        ("What happened in Bishkek?", "ordinary", "", ""),
        ("Who said the partnership is at a high level?", "ordinary", "", ""),
        ("When did Orlov meet Li?", "ordinary", "", ""),
    ],
)  # fmt: skip
def test_routing(question, kind, who, topic):
    plan = route(question)
    assert (plan.kind, plan.who, plan.topic) == (kind, who, topic)


@pytest.fixture
def summit_store(store, tmp_path: Path):
    folder = tmp_path / "summit"
    folder.mkdir()
    (folder / "summit.md").write_text(SUMMIT, encoding="utf-8")
    ingest_paths([folder], store, show_progress=False)
    return store


def test_what_did_x_say_about_y_quotes_only_x_on_y(summit_store):
    reply = answer("What did Orlov say about BRI?", settings=summit_store.settings, store=summit_store)
    assert reply.found
    lines = reply.answer.split("\n\n")
    assert len(lines) == 2 and all(line.startswith("Pavel Orlov (2023-10-26): “") for line in lines)
    assert "Belt and Road Forum" in lines[0] and "Belt and Road Initiative" in lines[1]
    assert "Li said" not in reply.answer and "energy sector" not in reply.answer
    assert all(line.rstrip().endswith(("[1]", "[2]")) for line in lines)
    quotes = [quote for source in reply.sources for quote in source.quotes]
    assert all(quote in source.text for source in reply.sources for quote in source.quotes) and len(quotes) == 2


def test_said_nothing_about_y_or_not_in_the_articles(summit_store):
    settings = summit_store.settings
    reply = answer("What did Orlov say about tariffs?", settings=settings, store=summit_store)
    assert not reply.found and reply.answer == "Pavel Orlov is quoted in the articles, but not about tariffs."
    reply = answer("What did Kazakbayev say about BRI?", settings=settings, store=summit_store)
    assert not reply.found and "Kazakbayev is in the articles, but none of them reports anything" in reply.answer
    reply = answer("What did Angela Merkel say about BRI?", settings=settings, store=summit_store)
    assert not reply.found and reply.answer == "The articles don't mention Angela Merkel."


def test_a_pronoun_statement_goes_to_the_right_man(summit_store):
    reply = answer("What did Li say about energy?", settings=summit_store.settings, store=summit_store)
    assert reply.found and reply.answer.startswith("Li Wen (2023-10-26): “China is willing to work with Russia")
    assert "Orlov" not in reply.answer
