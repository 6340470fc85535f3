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
        ("How has the Selby bridge plan developed?", "timeline", "", "the Selby bridge plan"),
        ("Timeline of the ferry strike", "timeline", "", "the ferry strike"),
        ("What happened with the harbour since March 2024?", "timeline", "", "the harbour"),
        ("Summarize the article about the Bishkek meeting", "summary", "", "the Bishkek meeting"),
        ("What is this article about?", "summary", "", ""),
        ("How did the harbour reopen?", "ordinary", "", ""),
        ("What happened in Marlow?", "ordinary", "", ""),
    ],
)  # fmt: skip
def test_routing(question, kind, who, topic):
    plan = route(question)
    assert (plan.kind, plan.who, plan.topic) == (kind, who, topic)


BRIDGE = [
    (
        "2024-03-01",
        "Selby bridge plan unveiled",
        "The council unveiled a plan for a new bridge over the Selby Strait on Friday.",
    ),
    (
        "2024-05-10",
        "Selby bridge plan wins funding",
        "Northland agreed to fund the Selby Strait bridge plan with 40 million.",
    ),
    (
        "2024-04-02",
        "Selby bridge plan faces protest",
        "Fishers protested against the Selby Strait bridge plan in Marlow.",
    ),
    ("2024-04-02", "Bakery opens", "A new bakery opened in Denholm with fresh bread every morning."),
]


def test_a_timeline_lists_the_articles_on_the_topic_in_date_order(store, tmp_path: Path):
    folder = tmp_path / "bridge"
    folder.mkdir()
    for number, (day, title, text) in enumerate(BRIDGE):
        (folder / f"b{number}.md").write_text(f"# {title}\n\ndate: {day}\n\n{text}\n", encoding="utf-8")
    ingest_paths([folder], store, show_progress=False)
    reply = answer("How has the Selby bridge plan developed?", settings=store.settings, store=store)
    assert reply.found
    days = [block.split("\n")[0] for block in reply.answer.split("\n\n")]
    assert days == ["2024-03-01", "2024-04-02", "2024-05-10"]
    assert "unveiled" in reply.answer and "protested" in reply.answer and "40 million" in reply.answer
    assert "bakery" not in reply.answer
    assert [s.date for s in reply.sources] == ["2024-03-01", "2024-04-02", "2024-05-10"]


def test_summarize_the_article_about(summit_store):
    reply = answer(
        "Summarize the article about the Bishkek meeting", settings=summit_store.settings, store=summit_store
    )
    assert reply.found and reply.answer.startswith("Summary of “China and Russia pledge closer ties")
    assert reply.answer.count("[1]") + reply.answer.count("[2]") >= 2
    assert "Premier Li Wen met Russian Prime Minister Pavel Orlov" in reply.answer  # the lede
    reply = answer("What is this article about?", settings=summit_store.settings, store=summit_store)
    assert not reply.found and "Which article?" in reply.answer


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
