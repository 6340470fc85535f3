"""What a question asks for: its terms (names weigh more), acronym expansions, and speech intent.

Retrieval uses the terms to pull in chunks that name what the question names; the extractive
answerer uses them to pick the sentences that answer it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from qa.acronyms import find_acronyms
from qa.text import SPEECH_QUESTION_RE, STOPWORDS, stem, words

NAME_WEIGHT = 2.0
WORD_WEIGHT = 1.0
PARTIAL_NAME = 0.6  # credit for part of a multi-word name
MIN_RARITY = 0.1  # the floor of a term's rarity factor, so a common word still counts a little
# Imperatives that open a request, not a topic.
COMMAND_WORDS = frozenset(
    """
    summarize summarise explain list give show find please describe
    """.split()
)
# Titles before a name: "Premier Li Qiang" is matched by "Li" or "Qiang", not by "Premier".
TITLES = frozenset(
    """
    mr mrs ms dr prof president premier prime minister chancellor secretary senator sen rep
    governor gov mayor king queen prince princess pope ceo chairman chairwoman chair general judge
    justice former foreign deputy vice
    """.split()
)


@dataclass(frozen=True)
class TermGroup:
    """One thing the question names; a sentence matches it by any of its stems or phrases."""

    label: str
    stems: frozenset[str]
    phrases: tuple[str, ...] = ()  # lower-cased phrases (acronym expansions)
    weight: float = WORD_WEIGHT
    is_name: bool = False


@dataclass(frozen=True)
class Query:
    question: str
    search_text: str
    terms: tuple[TermGroup, ...]
    wants_speech: bool
    expansions: dict[str, tuple[str, ...]]
    # Dates the question names ("in October 2023", "on March 3, 2024"): (first day, last day), ISO.
    date_range: tuple[str, str] | None = None
    # "recently", "this week", "latest": the question is about the news just before its date.
    wants_recent: bool = False

    @property
    def total_weight(self) -> float:
        return sum(t.weight for t in self.terms)


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


QUOTED_RE = re.compile(r"[\"“”]([^\"“”]{2,120})[\"“”]")
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
DAY_RE = re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.IGNORECASE)
MONTH_RE = re.compile(r"\b" + _MONTH + r"\s+(?:of\s+)?(\d{4})\b", re.IGNORECASE)
YEAR_RE = re.compile(r"\b(?:in|during|since|of)\s+((?:19|20)\d{2})\b", re.IGNORECASE)
# Time words relative to the day of asking, past or coming: the news is the news around that day.
RECENT_RE = re.compile(
    r"\b(recent|recently|this week|last week|this month|latest|just|newly|so far this|ongoing|"
    r"yesterday|today|currently|now|next week|next month|upcoming|soon|"
    r"(?:later|earlier) this (?:week|month|year)|this (?:weekend|year|spring|summer|fall|autumn|winter))\b",
    re.IGNORECASE,
)


def named_dates(question: str) -> tuple[str, str] | None:
    """The span of days a question names, most precise first; None when it names none."""
    import calendar
    from datetime import date

    try:
        if match := DAY_RE.search(question):
            day = date(int(match.group(3)), MONTHS[match.group(1).lower()], int(match.group(2)))
            return day.isoformat(), day.isoformat()
        if match := MONTH_RE.search(question):
            year, month = int(match.group(2)), MONTHS[match.group(1).lower()]
            last = calendar.monthrange(year, month)[1]
            return date(year, month, 1).isoformat(), date(year, month, last).isoformat()
        if match := YEAR_RE.search(question):
            return f"{match.group(1)}-01-01", f"{match.group(1)}-12-31"
    except ValueError:  # "February 30, 2024"
        return None
    return None


_analyzed: dict[tuple, Query] = {}


def analyze(question: str, lexicon=None) -> Query:
    """Terms of the question; with a lexicon (the keyword index), acronyms are expanded from what is stored.

    Retrieval and the answerer both ask; the second asks the cache (kept until the store changes).
    """
    key = (question, id(lexicon), lexicon.count() if lexicon is not None else 0)
    if key not in _analyzed:
        if len(_analyzed) > 1024:
            _analyzed.clear()
        _analyzed[key] = _analyze(question, lexicon)
    return _analyzed[key]


def _analyze(question: str, lexicon=None) -> Query:
    question = " ".join(question.split())
    expansions: dict[str, tuple[str, ...]] = {}
    if lexicon is not None:
        for acronym in find_acronyms(question):
            phrases = tuple(lexicon.expand_acronym(acronym))
            if phrases:
                expansions[acronym] = phrases

    terms: list[TermGroup] = []
    # A quoted phrase is one term, matched as a whole; its words are not counted again.
    quoted = [m.group(1).strip() for m in QUOTED_RE.finditer(question)]
    for phrase in quoted:
        terms.append(TermGroup(phrase, frozenset(), phrases=(phrase.lower(),), weight=NAME_WEIGHT))
    unquoted = QUOTED_RE.sub(" , ", question)
    # Dates become a date range (below), not words to look for.
    for pattern in (DAY_RE, MONTH_RE, YEAR_RE):
        unquoted = pattern.sub(" , ", unquoted)
    tokens = [(m.group(0), m.start()) for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9'’\-]*", unquoted)]
    name_run: list[str] = []

    def close_name_run() -> None:
        if name_run:
            label = " ".join(name_run)
            core = [w for w in name_run if w.lower() not in TITLES] or name_run
            terms.append(TermGroup(label, frozenset(stem(w) for w in core), weight=NAME_WEIGHT, is_name=True))
            name_run.clear()

    for position, (word, _) in enumerate(tokens):
        lower = word.lower().rstrip("'’s") if word.endswith(("'s", "’s")) else word.lower()
        acronym = word.rstrip("s'’") if word.rstrip("s'’") in expansions else None
        if acronym:
            close_name_run()
            phrases = expansions[acronym]
            terms.append(
                TermGroup(
                    acronym,
                    frozenset({stem(acronym)}),
                    phrases=tuple(p.lower() for p in phrases),
                    weight=NAME_WEIGHT,
                    is_name=True,
                )
            )
            continue
        if lower in STOPWORDS or (position == 0 and lower in COMMAND_WORDS):
            close_name_run()
            continue
        # A capital opening the question is grammar, not a name, unless a capitalised word follows it.
        follows = position + 1 < len(tokens) and _is_capitalised(tokens[position + 1][0])
        if _is_capitalised(word) and (position > 0 or follows or word.isupper()):
            name_run.append(word)
            continue
        close_name_run()
        terms.append(TermGroup(word, frozenset({stem(lower)}), weight=WORD_WEIGHT))
    close_name_run()

    # The same term twice counts once.
    unique: dict[tuple, TermGroup] = {}
    for term in terms:
        unique.setdefault((term.stems, term.phrases), term)
    if lexicon is not None:
        # Rare words tell more than common ones: "Griner" outweighs "year" (inverse document frequency).
        unique = {
            key: replace(term, weight=term.weight * max(MIN_RARITY, lexicon.rarity(term.label)))
            for key, term in unique.items()
        }

    search_text = question
    if expansions:
        search_text += " (" + "; ".join(f"{a}: {', '.join(p)}" for a, p in expansions.items()) + ")"
    return Query(
        question=question,
        search_text=search_text,
        terms=tuple(unique.values()),
        wants_speech=bool(SPEECH_QUESTION_RE.search(question)),
        expansions=expansions,
        date_range=named_dates(question),
        wants_recent=bool(RECENT_RE.search(question)),
    )


@dataclass(frozen=True)
class TextFeatures:
    """What term matching needs of a text, computed once."""

    lower: str
    stems: frozenset[str]
    name_stems: frozenset[str]  # stems of words written with a capital (names, not "world")


@lru_cache(maxsize=50_000)
def features(text: str) -> TextFeatures:
    tokens = words(text)
    return TextFeatures(
        lower=text.lower(),
        stems=frozenset(stem(w) for w in tokens if w.lower() not in STOPWORDS),
        name_stems=frozenset(stem(w) for w in tokens if w[:1].isupper()),
    )


def term_match(term: TermGroup, text: TextFeatures) -> float:
    """How well a text holds a term: 1 fully; less for part of a name or of an expansion phrase."""
    if any(p in text.lower for p in term.phrases):
        return 1.0
    if term.is_name:
        held = term.stems & text.name_stems
        if held == term.stems:
            return 1.0
        if held:  # "Mishustin" for "Mikhail Mishustin"
            return PARTIAL_NAME
    elif term.stems & text.stems:
        return 1.0
    for phrase in term.phrases:
        phrase_stems = {stem(w) for w in words(phrase) if w.lower() not in STOPWORDS}
        if phrase_stems and len(phrase_stems & text.stems) * 3 >= len(phrase_stems) * 2:
            return 0.7
    return 0.0
