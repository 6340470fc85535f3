"""Which path a question takes: what a named person said, a timeline, an article's summary, or an
ordinary question (hybrid retrieval and the extractive answerer). Rules on the question's shape; an
ordinary question is never mistaken for the others: each path needs its own wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.attribution import NOT_NAMES, TITLE_WORD_RE

_WHO = r"(?P<who>[A-Z][\w.'’\- ]{1,60}?)"
_TOPIC = r"(?P<topic>.+?)"
SAID_PATTERNS = [
    re.compile(
        rf"^(?:what|how)\s+(?:did|does|has|have|do)\s+{_WHO}\s+(?:say|said|tell|told|think|comment|"
        rf"announce|announced|claim|claimed|argue|argued|state|stated|write|wrote)"
        rf"(?:\s+(?:about|on|regarding|of|concerning|in)\s+{_TOPIC})?\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^what\s+(?:was|is|were|are|has\s+been)\s+{_WHO}(?:'s|’s)\s+(?:position|view|views|stance|opinion|"
        rf"take|comments?|remarks?|statements?|message)\s+(?:on|about|regarding|of|towards?)\s+{_TOPIC}\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^how\s+(?:did|does|has)\s+{_WHO}\s+(?:describe|described|characteri[sz]e|call|see|view)\s+{_TOPIC}\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?:did|has|does)\s+{_WHO}\s+(?:mention|mentioned|say\s+anything\s+about|talk\s+about|comment\s+on|"
        rf"speak\s+about|discuss|address)\s+{_TOPIC}\s*\??$",
        re.IGNORECASE,
    ),
]


TIMELINE_PATTERNS = [
    re.compile(
        r"^(?:give\s+me\s+|show\s+me\s+)?(?:an?\s+|the\s+)?timeline\s+(?:of|for|on)\s+(?P<topic>.+?)\s*\??$", re.I
    ),
    re.compile(
        r"^how\s+(?:has|have|did)\s+(?P<topic>.+?)\s+(?:developed|develop|evolved|evolve|unfolded|unfold|"
        r"progressed|changed)(?:\s+(?:since|over)\s+(?P<since>.+?))?\s*\??$",
        re.I,
    ),
    re.compile(
        r"^what\s+(?:has\s+)?happened\s+(?:with|to|in|on)\s+(?P<topic>.+?)\s+since\s+(?P<since>.+?)\s*\??$", re.I
    ),
    re.compile(
        r"^(?:what\s+are\s+)?the\s+latest\s+(?:developments|news)\s+(?:on|in|about)\s+(?P<topic>.+?)\s*\??$", re.I
    ),
]
SUMMARY_PATTERNS = [
    re.compile(
        r"^(?:please\s+|can\s+you\s+)?(?:summari[sz]e|sum\s+up|give\s+(?:me\s+)?a\s+summary\s+of|"
        r"what\s+is\s+the\s+gist\s+of)\s+(?:the\s+|this\s+|that\s+)?(?:article|story|piece|report)"
        r"(?:\s+(?:about|on|of)\s+(?P<topic>.+?))?\s*[?.!]?$",
        re.I,
    ),
    re.compile(r"^what(?:'s|’s|\s+is)\s+(?:this|that|the)\s+(?:article|story)\s+about\s*\??$", re.I),
    re.compile(r"^(?:a\s+)?summary\s+of\s+the\s+(?:article|story)\s+(?:about|on)\s+(?P<topic>.+?)\s*\??$", re.I),
]


@dataclass(frozen=True)
class Route:
    kind: str  # "said" | "timeline" | "summary" | "ordinary"
    who: str = ""  # "said": the person
    topic: str = ""  # what about ("" when the question names nothing)
    since: str = ""  # "timeline": from when, as the question says it ("October 2023")


def route(question: str) -> Route:
    """Which path a question takes. Only a named person's words go down the "said" path: "What did
    the report say about inflation?" stays an ordinary question."""
    text = " ".join(question.split()).strip()
    for pattern in SAID_PATTERNS:
        match = pattern.match(text)
        if match:
            who = speaker_name(match.group("who"))
            if who:
                return Route("said", who=who, topic=(match.group("topic") or "").strip(" ?.!"))
    for pattern in SUMMARY_PATTERNS:
        match = pattern.match(text)
        if match:
            return Route("summary", topic=(match.groupdict().get("topic") or "").strip(" ?.!"))
    for pattern in TIMELINE_PATTERNS:
        match = pattern.match(text)
        if match:
            since = (match.groupdict().get("since") or "").strip(" ?.!")
            return Route("timeline", topic=match.group("topic").strip(" ?.!"), since=since)
    return Route("ordinary")


def speaker_name(phrase: str) -> str:
    """The name in "Russian Prime Minister Mikhail Mishustin" / "Mishustin"; "" for "the report"."""
    words = TITLE_WORD_RE.sub("", phrase.strip()).split()
    while words and (words[0] in NOT_NAMES or not words[0][:1].isupper()):
        words = words[1:]
    name = " ".join(w for w in words if w[:1].isupper())
    return name.strip(" .,'’")
