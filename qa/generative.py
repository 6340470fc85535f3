"""An answer written by an LLM backend from the retrieved passages: streamed, then checked.

Yields the text as it grows, then the Answer: citations to no source removed, the cited passages
as its sources (all of them, with a note, when it cites none), and found=False when the model
says the articles don't hold the answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel

from qa.config import Settings
from qa.llm import BackendError
from qa.prompt import NOT_FOUND, build_prompt, check_citations, says_not_found
from qa.retrieval import merge_neighbours
from qa.schema import Answer, Source

UNCITED_NOTE = "This answer cites no source: check it against the passages listed."


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content or "")


def generate(
    model: BaseChatModel, question: str, documents: list[Document], settings: Settings
) -> Iterator[str | Answer]:
    prompt = build_prompt(
        question,
        merge_neighbours(documents),
        context_tokens=settings.llm_context_tokens,
        max_tokens=settings.llm_max_tokens,
    )
    if not prompt.documents:
        yield Answer(answer=NOT_FOUND, found=False)
        return
    deadline = time.monotonic() + settings.llm_timeout
    text = ""
    for chunk in model.stream(prompt.messages):
        piece = _text(chunk.content)
        if piece:
            text += piece
            yield text
        if time.monotonic() > deadline:
            raise BackendError(f"no complete answer within {settings.llm_timeout:g} s")
    cleaned, cited = check_citations(text, len(prompt.documents))
    if says_not_found(cleaned):
        yield Answer(answer=NOT_FOUND, found=False)
        return
    numbers = cited or list(range(1, len(prompt.documents) + 1))
    sources = [Source.from_document(n, prompt.documents[n - 1]) for n in numbers]
    yield Answer(answer=cleaned, found=True, sources=sources, note="" if cited else UNCITED_NOTE)
