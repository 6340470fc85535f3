""" "What did X say about Y?" (and "What was X's position on Y", "How did X describe Y", "Did X
mention Y"), answered with no LLM: X's statements, found at ingest (qa/attribution.py), ranked by
Y, each quoted verbatim with its speaker, date and [n]. When X said nothing about Y, or is not in
the articles at all, it says so.
"""

from __future__ import annotations

from langchain_core.documents import Document

from qa.acronyms import find_acronyms
from qa.routing import Route
from qa.schema import Answer, Source
from qa.store import Store
from qa.text import content_stems

MAX_STATEMENTS = 4


def _topic_stems(store: Store, topic: str) -> set[str]:
    """The topic's content stems, with what its acronyms stand for in these articles (BRI -> Belt
    and Road Initiative)."""
    stems = content_stems(topic)
    for acronym in find_acronyms(topic):
        for phrase in store.keyword_index.expand_acronym(acronym):
            stems |= content_stems(phrase)
        stems.add(acronym.lower())
    return stems


def answer_said(
    plan: Route, store: Store, *, since: str | None = None, until: str | None = None, as_of: str | None = None
) -> Answer:
    """X's statements about Y, quoted with speaker, date and [n]; or why there are none."""
    last_day = min((d for d in (until, as_of) if d), default=None)
    statements = store.keyword_index.statements_by(plan.who, until=_day(last_day))
    if since:
        statements = [s for s in statements if s["date_int"] >= _day(since)]
    if not statements:
        mentioned = store.keyword_index.search(plan.who, k=1)
        if mentioned:
            return Answer(
                answer=f"{plan.who} is in the articles, but none of them reports anything {plan.who} said.",
                found=False,
            )
        return Answer(answer=f"The articles don't mention {plan.who}.", found=False)
    speaker = max({s["speaker"] for s in statements}, key=lambda name: (len(name.split()), name))
    if plan.topic:
        wanted = _topic_stems(store, plan.topic)
        # What the statement says counts most; an article about the topic makes all its statements
        # candidates ("What did Moss say about the apple harvest?" in an article on the harvest).
        scored = [
            (2 * len(wanted & content_stems(s["context"])) + len(wanted & content_stems(s["title"])), s)
            for s in statements
        ]
        relevant = [(score, s) for score, s in scored if score > 0]
        if not relevant:
            return Answer(
                answer=f"{speaker} is quoted in the articles, but not about {plan.topic}.",
                found=False,
            )
        # Most on-topic first; among equals, the latest.
        relevant.sort(key=lambda pair: (pair[0], pair[1]["date_int"]), reverse=True)
        chosen = [s for _, s in relevant[:MAX_STATEMENTS]]
    else:
        chosen = statements[-MAX_STATEMENTS:][::-1]  # the latest
    chosen.sort(key=lambda s: (s["date_int"], s["article_id"], s["position"]))
    return _quoted(chosen, store)


def _quoted(statements: list[dict], store: Store) -> Answer:
    """One line per statement: speaker, date, the sentence verbatim, [n]; sources numbered by chunk."""
    chunk_ids = list(dict.fromkeys(s["chunk_id"] for s in statements))
    found = store.collection.get(ids=chunk_ids, include=["documents", "metadatas"])
    chunks = {
        cid: (text, meta) for cid, text, meta in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
    }
    numbers: dict[str, int] = {}
    sources: list[Source] = []
    lines = []
    for statement in statements:
        if statement["chunk_id"] not in chunks:
            continue
        text, meta = chunks[statement["chunk_id"]]
        if statement["chunk_id"] not in numbers:
            numbers[statement["chunk_id"]] = len(numbers) + 1
            document = Document(page_content=text, metadata={**meta, "chunk_id": statement["chunk_id"]})
            sources.append(Source.from_document(numbers[statement["chunk_id"]], document))
        n = numbers[statement["chunk_id"]]
        source = sources[n - 1]
        quote = statement["context"] if statement["context"] in text else statement["words"]
        source.quotes.append(quote)
        source.speakers.append(statement["speaker"])
        date = str(meta.get("date", "")) or "undated"
        lines.append(f"{statement['speaker']} ({date}): “{quote}” [{n}]")
    if not lines:
        return Answer(answer="The articles don't say.", found=False)
    return Answer(answer="\n\n".join(lines), found=True, sources=sources)


def _day(value: str | None) -> int | None:
    return int(value.replace("-", "")) if value else None
