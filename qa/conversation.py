"""Follow-up questions: "What did Mishustin say about BRI?" then "Where was he when he said it?".

A follow-up becomes a standalone question before retrieval:
- with an LLM backend, the model rewrites it from the conversation (CONDENSE prompt);
- with the extractive backend (or when the model fails), a rule: a question that refers back
  (he, she, they, it, there, ...) and names no one takes the subject of the previous question
  ("he" -> "Mishustin"), and retrieval also searches with the previous question's words.
  "What about Li?" / "And Li?" asks the previous question again of someone else.
History is a list of {"role", "content"} messages (Gradio's format); only the words of the
messages go to a model, never the rendered sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from qa.query import analyze

HISTORY_TURNS = 3  # question/answer pairs a model sees when it rewrites a follow-up
REFERS_BACK_RE = re.compile(r"\b(he|she|they|him|her|them|his|hers|their|it|its|this|that|there|then)\b", re.I)
PERSONAL_RE = re.compile(r"\b(he|she|they|him|her|them)\b", re.I)
POSSESSIVE_RE = re.compile(r"\b(his|her|their)\b", re.I)
ELLIPSIS_RE = re.compile(r"^\s*(?:and|what about|how about)\s+(.+?)\s*\??\s*$", re.I)
CONDENSE = (
    "Rewrite the user's follow-up question as one standalone question that can be understood "
    "without the conversation: replace pronouns with the people and things they refer to. "
    "Do not answer it. Reply with the question only."
)


@dataclass
class Resolved:
    question: str  # what the answer is for (shown to the user when it differs from what was typed)
    search_query: str  # what retrieval searches with
    rewritten: bool = False


def user_questions(history: list[dict] | None) -> list[str]:
    return [str(m.get("content") or "") for m in history or [] if m.get("role") == "user" and m.get("content")]


def _plain_turns(history: list[dict]) -> list[tuple[str, str]]:
    """(role, text) of the conversation, without notes and tool messages (those carry metadata)."""
    turns = []
    for message in history:
        if message.get("metadata") or message.get("role") not in ("user", "assistant"):
            continue
        content = message.get("content")
        if isinstance(content, str) and content.strip():
            turns.append((message["role"], content.strip()))
    return turns[-2 * HISTORY_TURNS :]


def _subject(question: str) -> str | None:
    return next((t.label for t in analyze(question).terms if t.is_name), None)


def resolve_by_rule(question: str, history: list[dict] | None) -> Resolved:
    previous = user_questions(history)
    if not previous:
        return Resolved(question, question)
    last = previous[-1]
    ellipsis = ELLIPSIS_RE.match(question)
    last_subject = _subject(last)
    if ellipsis and last_subject and ellipsis.group(1)[:1].isupper():
        # "And Li?" -> the last question, about Li instead.
        standalone = last.replace(last_subject, ellipsis.group(1).strip(" ?"), 1)
        return Resolved(standalone, standalone, rewritten=True)
    names_someone = any(t.is_name for t in analyze(question).terms)
    if names_someone or not REFERS_BACK_RE.search(question):
        return Resolved(question, question)
    standalone = question
    if last_subject:
        if PERSONAL_RE.search(standalone):
            standalone = PERSONAL_RE.sub(last_subject, standalone, count=1)
        elif POSSESSIVE_RE.search(standalone):
            standalone = POSSESSIVE_RE.sub(f"{last_subject}'s", standalone, count=1)
    # Retrieval also looks for what the last question was about ("it" = BRI).
    return Resolved(standalone, f"{standalone} {last}", rewritten=standalone != question)


def resolve_with_model(question: str, history: list[dict] | None, model: BaseChatModel) -> Resolved:
    turns = _plain_turns(history or [])
    if not turns:
        return Resolved(question, question)
    conversation = "\n".join(f"{role}: {text}" for role, text in turns)
    reply = model.invoke(
        [
            SystemMessage(CONDENSE),
            HumanMessage(f"Conversation:\n{conversation}\n\nFollow-up question: {question}\n\nStandalone question:"),
        ]
    )
    text = " ".join(str(reply.content).split()).strip().strip('"')
    # A reply that is empty, rambles or answers instead is not a rewrite: keep the rule's.
    if not text or len(text) > 4 * len(question) + 200:
        return resolve_by_rule(question, history)
    return Resolved(text, text, rewritten=text.rstrip("?") != question.rstrip("?"))
