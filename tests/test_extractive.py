"""The extractive answerer on hand-made passages: what it quotes, and when it says the articles don't say."""

from __future__ import annotations

from langchain_core.documents import Document

from qa.extractive import extractive_answer, score_sentences
from qa.query import analyze
from qa.retrieval import coverage


def _passage(question: str, text: str, title: str = "Local news", n: int = 1) -> Document:
    meta = {"title": title, "date": "2024-05-02", "url": f"https://news.example/{n}", "article_id": f"a{n}"}
    meta["coverage"] = coverage(analyze(question), f"{title}\n{text}")
    return Document(page_content=text, metadata={**meta, "chunk_index": 0, "similarity": 0.5})


def test_the_neighbour_that_names_what_is_asked_is_quoted_too():
    question = "Which beloved landmark will reopen for a second season?"
    text = (
        "The Zephyr Tower is officially coming back. "
        "The city said Monday that the beloved landmark will reopen for a second season. "
        "Tickets go on sale in June."
    )
    reply = extractive_answer(analyze(question), [_passage(question, text)])
    assert reply.found
    assert "Zephyr Tower" in reply.answer and "second season" in reply.answer
    assert "Tickets" not in reply.answer


def test_a_long_question_may_be_answered_across_sentences_of_one_passage():
    question = (
        "Harbour officials in Marlow warned this week that rising fuel costs and a shortage of pilots "
        "could delay which shipping service?"
    )
    text = (
        "Harbour officials in Marlow warned on Tuesday that the Northern ferry service could be delayed. "
        "Rising fuel costs have squeezed operators all spring. "
        "A shortage of pilots made it worse, they said."
    )
    reply = extractive_answer(analyze(question), [_passage(question, text)])
    assert reply.found
    assert "Northern ferry" in reply.answer


def test_a_short_question_needs_one_sentence_that_holds_it():
    question = "Which Marlow bakery won the pastry prize?"
    text = "Marlow is a harbour town. Its bakery trade is old. A pastry fair was held in another town."
    reply = extractive_answer(analyze(question), [_passage(question, text)])
    assert not reply.found
    assert reply.answer.startswith("The articles don't say.")


def test_the_headline_names_it_when_no_sentence_nearby_does():
    question = "Which beloved landmark will reopen for a second season?"
    text = "Crowds cheered on Monday. The city said the beloved landmark will reopen for a second season."
    document = _passage(question, text, title="Zephyr Tower to reopen for a second season")
    reply = extractive_answer(analyze(question), [document])
    assert reply.answer.startswith("Zephyr Tower to reopen for a second season (headline) [1]")
    assert reply.sources[0].quotes == ["The city said the beloved landmark will reopen for a second season."]


def test_a_dateline_is_not_quoted():
    question = "What did the Marlow harbour master say about the storm?"
    text = "MARLOW, Wessex — The Marlow harbour master said the storm closed the port for two days."
    reply = extractive_answer(analyze(question), [_passage(question, text)])
    assert reply.answer == "The Marlow harbour master said the storm closed the port for two days. [1]"


def test_a_number_that_counts_what_is_asked_wins():
    question = "How many minutes did the Marlow ferry wait at the harbour?"
    text = (
        "Every few minutes, the Marlow ferry waiting at the harbour sounded its horn for 12 crew members. "
        "In all, the Marlow ferry waited at the harbour for 95 minutes."
    )
    best = score_sentences(analyze(question), [_passage(question, text)])[0]
    assert best.sentence.text.endswith("for 95 minutes.")
