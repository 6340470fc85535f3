"""Timelines: "How has X developed?", "timeline of X", "what happened with X since ...". The articles
about X, one line each (the sentence that says most about X), in date order, grouped by day, each
cited. Extractive: every line is an article's own sentence."""

from __future__ import annotations

from collections import OrderedDict

from langchain_core.documents import Document

from qa.extractive import MIN_COVERAGE_IN_PASSAGE, score_sentences
from qa.query import analyze, named_dates
from qa.schema import Answer, Source

MAX_EVENTS = 10


def answer_timeline(topic: str, documents: list[Document], lexicon, *, since: str = "") -> Answer:
    """`documents`: what retrieval found for the topic (one passage per article). Lines for those
    that are about it, oldest first."""
    query = analyze(topic, lexicon)
    first_day = (named_dates(since) or ("", ""))[0] if since else ""
    best: dict[str, tuple] = {}
    for candidate in score_sentences(query, documents):
        article = str(candidate.document.metadata.get("article_id", ""))
        if candidate.coverage < MIN_COVERAGE_IN_PASSAGE or article in best:
            continue
        date = str(candidate.document.metadata.get("date", ""))
        if not date or (first_day and date < first_day):
            continue
        best[article] = (date, candidate)
    events = sorted(best.values(), key=lambda pair: (pair[0], pair[1].sentence.start))[-MAX_EVENTS:]
    if not events:
        return Answer(answer=f"The articles don't say how {topic} developed.", found=False)
    days: OrderedDict[str, list[str]] = OrderedDict()
    sources: list[Source] = []
    for date, candidate in events:
        n = len(sources) + 1
        sources.append(Source.from_document(n, candidate.document, quotes=[candidate.sentence.text]))
        days.setdefault(date, []).append(f"- {candidate.sentence.text} [{n}]")
    lines = [f"{day}\n" + "\n".join(items) for day, items in days.items()]
    return Answer(answer="\n\n".join(lines), found=True, sources=sources)
