"""What a question returns: the JSON shapes of DESIGN.md as small dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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


@dataclass
class Answer:
    answer: str
    found: bool
    sources: list[Source] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

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
