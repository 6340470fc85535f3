"""Follow-up questions made standalone by the rule the extractive backend uses."""

from __future__ import annotations

from qa.conversation import resolve_by_rule

HISTORY = [
    {"role": "user", "content": "What did Mishustin say about BRI?"},
    {"role": "assistant", "content": "Russia is willing to ... the Belt and Road Initiative ..., he said. [1]"},
]


def test_a_pronoun_takes_the_previous_subject_and_retrieval_the_previous_words():
    resolved = resolve_by_rule("Where was he when he said it?", HISTORY)
    assert resolved.question == "Where was Mishustin when he said it?" and resolved.rewritten
    assert "BRI" in resolved.search_query and "Mishustin" in resolved.search_query


def test_and_someone_else_asks_the_previous_question_about_them():
    resolved = resolve_by_rule("And Li?", HISTORY)
    assert resolved.question == "What did Li say about BRI?"
    assert resolve_by_rule("What about Li Qiang?", HISTORY).question == "What did Li Qiang say about BRI?"


def test_a_question_that_stands_alone_is_left_alone():
    for question in ("What did Li say about trade?", "Which forum was held in Beijing?"):
        resolved = resolve_by_rule(question, HISTORY)
        assert (resolved.question, resolved.search_query, resolved.rewritten) == (question, question, False)


def test_no_history_no_rewrite():
    assert resolve_by_rule("Where was he?", []).question == "Where was he?"
    assert resolve_by_rule("Where was he?", None).search_query == "Where was he?"


def test_his_becomes_the_subjects():
    assert resolve_by_rule("What was his reason?", HISTORY).question == "What was Mishustin's reason?"
