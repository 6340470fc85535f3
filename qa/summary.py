"""Article summaries: "Summarize the article about X", "What is this article about?", and the
Summarize button beside a source. Extractive: a few of the article's own sentences, in its order,
chosen for how much of the article's vocabulary they carry, with a lead for the lede (news puts
what matters first) and no two saying the same."""

from __future__ import annotations

from collections import Counter

from langchain_core.documents import Document

from qa.extractive import _sentences
from qa.schema import Answer, Source
from qa.store import Store
from qa.text import PRONOUN_ATTRIBUTION_RE, content_stems

SUMMARY_SENTENCES = 3
MIN_WORDS = 6


def article_chunks(store: Store, article_id: str) -> list[Document]:
    """An article's stored chunks, in order."""
    found = store.collection.get(where={"article_id": article_id}, include=["documents", "metadatas"])
    chunks = [
        Document(page_content=text, metadata={**meta, "chunk_id": chunk_id})
        for chunk_id, text, meta in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
    ]
    return sorted(chunks, key=lambda d: int(d.metadata.get("chunk_index", 0)))


def summarize(chunks: list[Document], sentences: int = SUMMARY_SENTENCES) -> Answer:
    """A summary of one article from its chunks: `sentences` sentences in the article's order, each cited."""
    if not chunks:
        return Answer(answer="The article is not in the store.", found=False)
    seen: set[str] = set()
    candidates: list[tuple[int, Document, str, set[str]]] = []  # (position, chunk, sentence, stems)
    for chunk in chunks:
        for sentence in _sentences(chunk.page_content):
            text = " ".join(sentence.text.split())
            if text in seen or len(text.split()) < MIN_WORDS:
                continue  # overlapping chunks repeat a paragraph
            seen.add(text)
            candidates.append((len(candidates), chunk, text, content_stems(text)))
    if not candidates:
        return Answer(answer="The article has no sentences to summarize.", found=False)
    frequency = Counter(stem for *_, stems in candidates for stem in stems)
    title_stems = content_stems(str(chunks[0].metadata.get("title", "")))

    def weight(item: tuple[int, Document, str, set[str]]) -> float:
        position, _, _, stems = item
        if not stems:
            return 0.0
        centrality = sum(frequency[s] for s in stems) / (len(stems) + 4)
        # "..., he said." leans on a sentence before it that the summary may not hold.
        leans = 0.6 if PRONOUN_ATTRIBUTION_RE.search(item[2]) else 1.0
        lede = 1.6 if position == 0 else 1 + 1 / (2 + position)
        return centrality * (1 + len(stems & title_stems) / 4) * lede * leans

    chosen: list[tuple[int, Document, str, set[str]]] = []
    for item in sorted(candidates, key=weight, reverse=True):
        if any(len(item[3] & other[3]) > 0.6 * min(len(item[3]), len(other[3])) for other in chosen):
            continue  # says what a chosen sentence says
        chosen.append(item)
        if len(chosen) == sentences:
            break
    chosen.sort(key=lambda item: item[0])
    numbers: dict[str, int] = {}
    sources: list[Source] = []
    parts = []
    for _, chunk, text, _ in chosen:
        chunk_id = str(chunk.metadata.get("chunk_id", ""))
        if chunk_id not in numbers:
            numbers[chunk_id] = len(numbers) + 1
            sources.append(Source.from_document(numbers[chunk_id], chunk))
        sources[numbers[chunk_id] - 1].quotes.append(text)
        parts.append(f"{text} [{numbers[chunk_id]}]")
    meta = chunks[0].metadata
    heading = f"Summary of “{meta.get('title', '')}” ({meta.get('date', '') or 'undated'}):"
    return Answer(answer=heading + " " + " ".join(parts), found=True, sources=sources)
