"""Acronyms in a question, expanded to the phrases the stored articles spell them out with.

"BRI" in a question and "Belt and Road Initiative" in the articles share no words, and the
embedder does not know they are one thing. We ask the store itself, so the expansions always
match what is indexed: Chroma's regex filter finds chunks with a capitalised phrase whose
initials spell the acronym (small connecting words allowed), and chunks that define it as
"phrase (ACR)". The phrases seen most often win.
"""

from __future__ import annotations

import re
from collections import Counter

ACRONYM_RE = re.compile(r"\b([A-Z]{2,6})(?:s|'s|’s)?\b")
CONNECTORS = ("and", "of", "the", "for", "on", "in", "de", "du", "des", "la", "&")
MAX_DOCS = 200
MAX_EXPANSIONS = 2


def find_acronyms(question: str) -> list[str]:
    seen: list[str] = []
    for match in ACRONYM_RE.finditer(question):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def _initials_pattern(acronym: str, capitalised: bool) -> str:
    gap = r"(?:[\s\-]+(?:" + "|".join(re.escape(c) for c in CONNECTORS) + r")){0,2}[\s\-]+"
    if capitalised:
        words = [f"{letter}[a-z][\\w'’\\-]*" for letter in acronym]
    else:
        words = [f"[{letter}{letter.lower()}][\\w'’\\-]*" for letter in acronym]
    return r"\b" + gap.join(words) + r"\b"


def _normalise(phrase: str) -> str:
    return " ".join(phrase.replace("-", " ").split())


def expand(acronym: str, collection) -> list[str]:
    """Phrases that spell `acronym` in the stored chunks, most frequent first."""
    counts: Counter[str] = Counter()
    capitalised = _initials_pattern(acronym, capitalised=True)
    try:
        found = collection.get(where_document={"$regex": capitalised}, limit=MAX_DOCS, include=["documents"])
        documents = found["documents"] or []
    except Exception:  # a store without regex support: no expansion rather than no answer
        documents = []
    for document in documents:
        for match in re.finditer(capitalised, document):
            counts[_normalise(match.group(0))] += 1
    # Definitions "phrase (ACR)" count more: the text itself says what the acronym means.
    defined = re.compile(_initials_pattern(acronym, capitalised=False) + r"\s*\(" + acronym + r"\)")
    try:
        found = collection.get(where_document={"$contains": f"({acronym})"}, limit=MAX_DOCS, include=["documents"])
        definitions = found["documents"] or []
    except Exception:
        definitions = []
    for document in definitions:
        for match in defined.finditer(document):
            phrase = match.group(0)[: match.group(0).rfind("(")].strip()
            counts[_normalise(phrase)] += 3
    if not counts:
        return []
    # Merge case variants ("Belt and Road Initiative" / "belt and road initiative").
    merged: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for phrase, count in counts.most_common():
        key = phrase.lower()
        merged[key] += count
        spelling.setdefault(key, phrase)
    top = merged.most_common()
    best = top[0][1]
    return [spelling[key] for key, count in top[:MAX_EXPANSIONS] if count * 4 >= best]
