"""The embedded extractive answerer: a short answer made of verbatim, cited sentences.

Each sentence of the retrieved passages is scored by:
- the share of the question's terms it holds, each term weighted by its rarity in the store (names
  count double). A "..., he said." sentence takes its speaker from the sentence before it.
- a little of its passage's similarity and retrieval rank;
- a nudge for reported speech, when the question asks what someone said;
- a nudge for the shape of an answer: a number for "how many", a name for "who" or "which";
- a penalty for only restating the question.
The best sentences, within a character budget, are kept in reading order and marked [n]. When the
lead sentence holds the question but not what it asks for (a name, a number), the neighbouring
sentence or else the headline that has it is quoted too. When no sentence holds enough of the
question (MIN_COVERAGE; less for a long question whose passage holds most of it; set against
questions the articles cannot answer), the answer says the articles don't say, rather than quoting
something loosely related. Datelines ("WASHINGTON —") are never quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from langchain_core.documents import Document

from qa.query import Query, features, term_match
from qa.schema import Answer, Source
from qa.text import (
    DATELINE_PARAGRAPH_RE,
    PRONOUN_ATTRIBUTION_RE,
    REPORTING_STEMS,
    STOPWORDS,
    Sentence,
    content_stems,
    split_sentences,
    stem,
    strip_dateline,
    words,
)

MIN_COVERAGE = 0.55  # a sentence must hold this share of the question's weighted terms
# ... or, for a long question (LONG_QUESTION_TERMS terms or more), whose terms spread over several
# sentences, a lower share when its passage (with its title) holds PASSAGE_COVERAGE of them.
PASSAGE_COVERAGE = 0.5
MIN_COVERAGE_IN_PASSAGE = 0.35
LONG_QUESTION_TERMS = 8
RELATIVE_CUTOFF = 0.7  # ... and score this close to the best sentence
SPEECH_BONUS = 0.1
PASSAGE_WEIGHT = 0.2
RANK_WEIGHT = 0.2  # x 1/rank of the sentence's passage: retrieval weighed recency and the whole passage
MAX_ARTICLES = 3
NO_TERMS_MIN_SIMILARITY = 0.55  # a question with no content words can lean on similarity alone

NOT_FOUND = "The articles don't say."
EMPTY_STORE = (
    "There are no articles in the store yet. Add some with `python -m ingest PATH` "
    "(files, folders, JSON or JSONL), then ask again."
)


@dataclass
class ScoredSentence:
    sentence: Sentence
    document: Document
    coverage: float
    score: float

    @property
    def key(self) -> tuple[str, str]:
        return str(self.document.metadata.get("article_id", "")), " ".join(self.sentence.text.split())


@lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[Sentence, ...]:
    return tuple(strip_dateline(s) for s in split_sentences(text) if not DATELINE_PARAGRAPH_RE.match(s.text))


def _is_reported_speech(sentence: Sentence) -> bool:
    return bool(content_stems(sentence.text) & REPORTING_STEMS) or " said" in sentence.text


def _sentence_coverage(
    query: Query, sentence: Sentence, before: tuple[Sentence, ...], title: str
) -> tuple[float, bool]:
    """Share of the question's terms the sentence holds, and whether it holds what is asked about.

    A sentence inherits from its context, at a discount: "..., he said." takes its speaker from the
    sentence just before (0.8); the subject named in the two sentences before, or a topic word in
    the article's title, counts half. Only the question's first name (its subject: "What did X
    say about Y") is carried as a speaker. Beyond the subject, some other term must be there too,
    at least from context: X alone does not answer what X said about Y.
    """
    if not query.terms:
        return 0.0, True
    subject = next((t for t in query.terms if t.is_name), None)
    own = features(sentence.text)
    context = [features(s.text) for s in before]
    pronoun = bool(before) and bool(PRONOUN_ATTRIBUTION_RE.search(sentence.text))
    total = 0.0
    asked_about = False
    for term in query.terms:
        match = term_match(term, own)
        if match < 1.0 and before and term is subject:
            if pronoun and term is subject:
                match = max(match, 0.8 * term_match(term, context[-1]))
            match = max(match, 0.5 * max(term_match(term, c) for c in context))
        if match < 1.0 and term is not subject and not term.is_name and title:
            match = max(match, 0.5 * term_match(term, features(title)))
        if term is not subject and match > 0:
            asked_about = True
        total += term.weight * match
    if subject is not None and len(query.terms) == 1:
        asked_about = True
    return total / query.total_weight, asked_about


# What kind of thing is asked for, wherever the question word stands ("Primary voters in which state ...").
QUESTION_NUMBER_RE = re.compile(
    r"\b(how (many|much|long|old|far|big|tall|fast)|what (percentage|share|number|price|amount))\b", re.I
)
QUESTION_ENTITY_RE = re.compile(
    r"\b(who|whom|whose|which|where)\b|\bwhat (country|state|city|company|team|group|show|movie|film|product)\b"
    r"|\bwhat is (it|she|he|the \w+) called\b|\bwhat is (his|her|its|their) name\b",
    re.I,
)
NUMBER_RE = re.compile(
    r"(?<![\w.])\$?\d[\d,.]*%?|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"dozen|hundred|thousand|million|billion|half|third|quarter)\b",
    re.I,
)
WHERE_RE = re.compile(r"^\s*where\b|\bin which (city|country|place|town|state|region)\b", re.I)
PLACE_RE = re.compile(r"\b(in|at|from|to|near|outside)\s+(the\s+)?[A-Z][a-z]")  # "in Bishkek", "at the Kremlin"
# Capitalised, but not the name a "which" or "who" question asks for.
CALENDAR_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split()
)
RESTATES_PENALTY = 0.3  # a sentence that only repeats the question tells nothing new
ANSWER_SHAPE_BONUS = 0.1  # a number for "how many", a name for "who/which"
UNIT_BONUS = 0.2  # ... counting what is asked about: "187 minutes" for "how many minutes"


HOW_MANY_RE = re.compile(r"\bhow many\s+((?:[\w’'-]+\s+){0,2}[\w’'-]+)", re.I)
MONEY_OR_SHARE_RE = re.compile(r"^\$|%$|^(percent|per cent|dollars?|euros?|pounds?)$", re.I)


def _counts_the_unit(query: Query, text: str, number: re.Match) -> bool:
    """ "187 minutes" for "how many minutes"; "$5" or "60%" for "how much" and "what percentage"."""
    if MONEY_OR_SHARE_RE.search(number.group(0)):
        return True
    following = words(text[number.end() : number.end() + 40])[:3]
    if any(MONEY_OR_SHARE_RE.match(w) for w in following[:1]):
        return True
    asked = HOW_MANY_RE.search(query.question)
    if not asked:
        return False
    units = {stem(w) for w in words(asked.group(1)) if w.lower() not in STOPWORDS}
    return any(stem(w) in units for w in following)


def _answer_shape(query: Query, sentence: Sentence) -> float:
    """Does the sentence hold something the question asks for and does not already say?"""
    question_words = {w.lower() for w in words(query.question)}
    new_words = [w for w in words(sentence.text) if w.lower() not in question_words and w.lower() not in STOPWORDS]
    if not new_words:
        return -RESTATES_PENALTY
    bonus = 0.0
    if QUESTION_NUMBER_RE.search(query.question):
        new_numbers = [m for m in NUMBER_RE.finditer(sentence.text) if m.group(0).lower() not in question_words]
        if new_numbers:
            bonus += ANSWER_SHAPE_BONUS
            if any(_counts_the_unit(query, sentence.text, m) for m in new_numbers):
                bonus += UNIT_BONUS
    elif WHERE_RE.search(query.question):
        if PLACE_RE.search(sentence.text):
            bonus += ANSWER_SHAPE_BONUS
    elif QUESTION_ENTITY_RE.search(query.question) and any(
        w[:1].isupper() and w.lower() not in CALENDAR_WORDS for w in new_words[1:] or new_words
    ):
        bonus += ANSWER_SHAPE_BONUS
    return bonus


def score_sentences(query: Query, documents: list[Document]) -> list[ScoredSentence]:
    best: dict[tuple[str, str], ScoredSentence] = {}
    for rank, document in enumerate(documents, start=1):
        passage_score = float(document.metadata.get("similarity", 0.0))
        sentences = _sentences(document.page_content)
        for index, sentence in enumerate(sentences):
            share, asked_about = _sentence_coverage(
                query, sentence, sentences[max(0, index - 2) : index], str(document.metadata.get("title", ""))
            )
            if not asked_about:
                share = min(share, MIN_COVERAGE - 0.01)
            score = share + PASSAGE_WEIGHT * passage_score + RANK_WEIGHT / rank + _answer_shape(query, sentence)
            if query.wants_speech:
                score += SPEECH_BONUS if _is_reported_speech(sentence) else -SPEECH_BONUS
            if not query.terms:
                score = passage_score
            candidate = ScoredSentence(sentence, document, share, score)
            if candidate.key not in best or best[candidate.key].score < score:
                best[candidate.key] = candidate
    return sorted(best.values(), key=lambda s: s.score, reverse=True)


def _passage_coverage(document: Document) -> float:
    return float(document.metadata.get("coverage", 0.0))


def _enough(query: Query, candidate: ScoredSentence) -> bool:
    """Does the sentence hold enough of the question, alone or (a long question) within its passage?"""
    if candidate.coverage >= MIN_COVERAGE:
        return True
    return (
        len(query.terms) >= LONG_QUESTION_TERMS
        and candidate.coverage >= MIN_COVERAGE_IN_PASSAGE
        and _passage_coverage(candidate.document) >= PASSAGE_COVERAGE
    )


def _select(query: Query, scored: list[ScoredSentence], max_chars: int) -> list[ScoredSentence]:
    if not scored:
        return []
    if query.terms:
        scored = [s for s in scored if _enough(query, s)]
        if not scored:
            return []
    top = scored[0]
    if not query.terms and top.score < NO_TERMS_MIN_SIMILARITY:
        return []
    chosen: list[ScoredSentence] = []
    articles: list[str] = []
    used = 0
    for candidate in scored:
        if candidate.score < RELATIVE_CUTOFF * top.score:
            break
        article_id = candidate.key[0]
        if article_id not in articles and len(articles) >= MAX_ARTICLES:
            continue
        length = len(candidate.sentence.text) + 5
        if chosen and used + length > max_chars:
            continue
        chosen.append(candidate)
        used += length
        if article_id not in articles:
            articles.append(article_id)
    return chosen


def _asks_for_shape(query: Query) -> bool:
    return bool(QUESTION_NUMBER_RE.search(query.question) or QUESTION_ENTITY_RE.search(query.question))


HEADLINE_START = -1  # a headline "sentence" comes before the article's text


def _complete(query: Query, chosen: list[ScoredSentence]) -> list[ScoredSentence]:
    """When the lead sentence holds the question's terms but not what is asked for (a name, a
    number), the sentence next to it often does ("“Squid Game” is back. Netflix said the show ...").
    Quote that neighbour too, or else the article's headline when it names it."""
    if not chosen or not _asks_for_shape(query) or _answer_shape(query, chosen[0].sentence) > 0:
        return chosen
    lead = chosen[0]
    sentences = _sentences(lead.document.page_content)
    position = next((i for i, s in enumerate(sentences) if s.start == lead.sentence.start), None)
    if position is None:
        return chosen
    keys = {c.key for c in chosen}
    for j in (position + 1, position - 1):
        if not 0 <= j < len(sentences) or _answer_shape(query, sentences[j]) <= 0:
            continue
        neighbour = ScoredSentence(sentences[j], lead.document, lead.coverage, lead.score)
        if neighbour.key in keys:
            return chosen
        return [lead, neighbour, *chosen[1:]]
    # Else the headline, which news writes to name what the story is about.
    title = " ".join(str(lead.document.metadata.get("title", "")).split())
    headline = Sentence(title, HEADLINE_START, HEADLINE_START)
    if title and _answer_shape(query, headline) > 0 and _sentence_coverage(query, headline, (), "")[0] > 0:
        return [ScoredSentence(headline, lead.document, lead.coverage, lead.score), *chosen]
    return chosen


def _passage(chosen: list[ScoredSentence]) -> str:
    """The paragraphs of the article that hold the cited sentences, in order, each once."""
    paragraphs: list[str] = []
    for item in sorted(chosen, key=lambda c: (c.document.metadata.get("chunk_index", 0), c.sentence.start)):
        for paragraph in item.document.page_content.split("\n\n"):
            if item.sentence.text in paragraph and paragraph not in paragraphs:
                paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def _not_found(query: Query, scored: list[ScoredSentence]) -> str:
    """Say what the articles do and don't hold, when the question names things."""
    names_found = [
        t.label for t in query.terms if t.is_name and any(term_match(t, features(s.sentence.text)) for s in scored)
    ]
    missing = [t.label for t in query.terms if t.label not in names_found]
    if names_found and missing:
        return f"{NOT_FOUND} They mention {', '.join(names_found)}, but nothing on {', '.join(missing)}."
    return NOT_FOUND


def extractive_answer(query: Query, documents: list[Document], max_chars: int = 800) -> Answer:
    scored = score_sentences(query, documents)
    chosen = _complete(query, _select(query, scored, max_chars))
    if not chosen:
        return Answer(answer=_not_found(query, scored), found=False)

    # Sources numbered by their best sentence; sentences kept in reading order within each source.
    by_article: dict[str, list[ScoredSentence]] = {}
    for item in chosen:
        by_article.setdefault(item.key[0], []).append(item)
    sources: list[Source] = []
    parts: list[str] = []
    for n, items in enumerate(by_article.values(), start=1):
        items.sort(key=lambda c: (c.document.metadata.get("chunk_index", 0), c.sentence.start))
        lead = max(items, key=lambda c: c.score)
        sources.append(
            Source.from_document(
                n,
                lead.document,
                text=_passage(items),
                quotes=[c.sentence.text for c in items if c.sentence.start != HEADLINE_START],
            )
        )
        parts.extend(
            f"{c.sentence.text} (headline) [{n}]" if c.sentence.start == HEADLINE_START else f"{c.sentence.text} [{n}]"
            for c in items
        )
    return Answer(answer=" ".join(parts), found=True, sources=sources)
