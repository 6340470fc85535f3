"""Text helpers shared by ingest and QA: sentences, word tokens, stems, stopwords."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
import syntok.segmenter as syntok_segmenter

WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")

# Function words and question scaffolding that say nothing about the topic.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves s t don ll re ve d
    m o y tell say says said saying told describe described mention mentioned happen happened
    according recent recently latest news article articles week today yesterday many much
    """.split()
)

# Reporting verbs: a sentence with one of these carries somebody's words.
REPORTING_STEMS = frozenset(
    """
    say said told tell ad state note stress urg warn claim argu announc explain insist describ call
    express congratul pledg vow suggest prais criticis critic welcom accord
    """.split()
)
SPEECH_QUESTION_RE = re.compile(
    r"\b(say|said|says|tell|told|state|stated|describe|described|mention|mentioned|position|"
    r"view|think|thinks|comment|comments|claim|claimed|react|respond|responded|announce|announced)\b",
    re.IGNORECASE,
)
# "..., he said." / "She added that ..." : words whose speaker is in an earlier sentence.
PRONOUN_ATTRIBUTION_RE = re.compile(
    r"(\b(he|she|they)\s+(said|says|added|adds|noted|told|stressed|stated|explained|urged|warned|"
    r"insisted|argued|continued|wrote)\b)|(^\s*[\"“]?(he|she|they|his|her)\b)",
    re.IGNORECASE,
)

_stemmer = snowballstemmer.stemmer("english")


def normalize_text(text: str) -> str:
    """NFC, unified line ends, no control characters but newline and tab."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word.lower().replace("’", "'").strip("'-"))


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w.lower() not in STOPWORDS}


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their character spans in `text` (syntok: rule-based, fast, offline)."""
    sentences: list[Sentence] = []
    for paragraph in syntok_segmenter.analyze(text):
        for sentence_tokens in paragraph:
            if not sentence_tokens:
                continue
            start = sentence_tokens[0].offset
            last = sentence_tokens[-1]
            end = last.offset + len(last.value)
            piece = text[start:end].strip()
            if piece:
                sentences.append(Sentence(piece, start, end))
    return sentences


# A dateline opens a wire story and is not part of its first sentence: "WASHINGTON —",
# "AUSTIN, Texas –", "Hong Kong/Beijing/Taipei (CNN)", or a paragraph of its own ("New York CNN Business —").
DATELINE_PARAGRAPH_RE = re.compile(r"^[^\n.!?]{0,60}\s[—–-]+$|^\((?:CNN|AP|Reuters|AFP)[^)]{0,30}\)$")
DATELINE_PREFIX_RE = re.compile(
    r"^(?:[A-Z][A-Za-z .,'/]{0,40}\s?)?\((?:CNN|AP|Reuters|AFP)[^)]{0,30}\)\s*[—–-]{0,2}\s*"
    r"|^[A-Z]{2,}[A-Z .'/]*(?:,\s[A-Z][A-Za-z.]+(?:\s[A-Z][A-Za-z.]+)?)?(?:\s\([^)]{1,30}\))?\s[—–-]{1,2}\s+"
)


def strip_dateline(sentence: Sentence) -> Sentence:
    """The sentence without an opening dateline, its span moved to match."""
    match = DATELINE_PREFIX_RE.match(sentence.text)
    if not match or match.end() >= len(sentence.text):
        return sentence
    return Sentence(sentence.text[match.end() :], sentence.start + match.end(), sentence.end)
