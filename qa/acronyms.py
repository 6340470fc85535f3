"""Acronyms: a lexicon of the phrases the stored articles could abbreviate, and question lookups.

"BRI" in a question and "Belt and Road Initiative" in the articles share no words, and the
embedder does not know they are one thing. When a chunk is indexed, every run of capitalised
words (small connecting words allowed: "Belt and Road Initiative") is recorded under its
initials, and so is any phrase the text defines as "phrase (ACR)". A question's acronym is then
expanded to the phrases recorded under it most often. The lexicon lives in the keyword index and
moves with it (chunks added, replaced, deleted), so it always reflects what is stored.
"""

from __future__ import annotations

import re

ACRONYM_RE = re.compile(r"\b([A-Z]{2,6})(?:s|'s|’s)?\b")
CONNECTORS = frozenset({"and", "of", "the", "for", "on", "in", "de", "du", "des", "la", "&"})
WORD = r"[A-Z][\w'’\-]*"
CAPITALISED_RUN_RE = re.compile(
    r"\b" + WORD + r"(?:(?:\s+(?:" + "|".join(re.escape(c) for c in CONNECTORS) + r"))*\s+" + WORD + r")+"
)
# "phrase (ACR)": find the parenthesised acronym first, then the words right before it. One regex
# for both tried a match at every word of every chunk and cost ingest 8% of its time.
PARENTHESISED_ACRONYM_RE = re.compile(r"\(([A-Z]{2,6})\)")
WORDS_BEFORE_RE = re.compile(r"(?:[\w'’\-]+\s+){1,8}$")
MAX_PHRASE_WORDS = 6
DEFINITION_WEIGHT = 3  # "phrase (ACR)": the text itself says what the acronym means
MAX_EXPANSIONS = 2


def find_acronyms(question: str) -> list[str]:
    seen: list[str] = []
    for match in ACRONYM_RE.finditer(question):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w.lower() not in CONNECTORS).upper()


def phrases_in(text: str) -> list[tuple[str, str, int]]:
    """(initials, phrase, weight) for every phrase in `text` an acronym could stand for."""
    found: list[tuple[str, str, int]] = []
    for match in CAPITALISED_RUN_RE.finditer(text):
        words = match.group(0).replace("-", " ").split()
        # Every sub-run that starts and ends on a capitalised word: "Russian Prime Minister" holds "Prime Minister".
        for start in range(len(words)):
            if words[start].lower() in CONNECTORS:
                continue
            for end in range(start + 2, min(len(words), start + MAX_PHRASE_WORDS + 3) + 1):
                if words[end - 1].lower() in CONNECTORS:
                    continue
                piece = words[start:end]
                initials = _initials(piece)
                if 2 <= len(initials) <= MAX_PHRASE_WORDS:
                    found.append((initials, " ".join(piece), 1))
    for match in PARENTHESISED_ACRONYM_RE.finditer(text):
        acronym = match.group(1)
        before = WORDS_BEFORE_RE.search(text, max(0, match.start() - 400), match.start())
        if before is None:
            continue
        words = before.group(0).replace("-", " ").split()
        # The shortest tail of the words before "(ACR)" whose initials spell it.
        for start in range(len(words) - 1, -1, -1):
            tail = words[start:]
            if _initials(tail) == acronym and tail[0].lower() not in CONNECTORS:
                found.append((acronym, " ".join(tail), DEFINITION_WEIGHT))
                break
    return found


def choose(counted: list[tuple[str, int]]) -> list[str]:
    """The most frequent phrases (case variants merged); a rare alternative does not make the cut."""
    merged: dict[str, int] = {}
    spelling: dict[str, str] = {}
    for phrase, count in counted:
        key = phrase.lower()
        merged[key] = merged.get(key, 0) + count
        spelling.setdefault(key, phrase)
    ranked = sorted(merged.items(), key=lambda item: -item[1])
    if not ranked:
        return []
    best = ranked[0][1]
    return [spelling[key] for key, count in ranked[:MAX_EXPANSIONS] if count * 4 >= best]
