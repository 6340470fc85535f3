"""What a question returns: the JSON shapes of DESIGN.md as small dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from langchain_core.documents import Document


@dataclass
class Source:
    n: int
    title: str
    date: str
    url: str
    source: str
    article_id: str
    chunk_id: str
    text: str  # the passage the cited sentences come from
    score: float
    quotes: list[str] = field(default_factory=list)  # the sentences of `text` the answer cites
    speakers: list[str] = field(default_factory=list)  # who said each quote ("" when not attributed)

    @classmethod
    def from_document(cls, n: int, document: Document, *, text: str | None = None, quotes=()) -> Source:
        meta = document.metadata
        return cls(
            n=n,
            title=str(meta.get("title", "")),
            date=str(meta.get("date", "")),
            url=str(meta.get("url", "")),
            source=str(meta.get("source", "")),
            article_id=str(meta.get("article_id", "")),
            chunk_id=str(meta.get("chunk_id", document.id or "")),
            text=document.page_content if text is None else text,
            score=round(float(meta.get("score", 0.0)), 4),
            quotes=list(quotes),
        )


@dataclass
class Answer:
    answer: str
    found: bool
    sources: list[Source] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    backend: str = "extractive"  # what wrote the answer: "extractive", "openai:MODEL", ...
    note: str = ""  # for the reader: a backend that failed and was replaced, an answer citing nothing
    question: str = ""  # the standalone question answered, when a follow-up was rewritten

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class SearchHit:
    rank: int
    article_id: str
    chunk_id: str
    title: str
    date: str
    url: str
    source: str
    text: str
    score: float

    def to_json(self) -> dict:
        return asdict(self)
