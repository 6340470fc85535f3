"""Validate the hand-labelled quote-attribution set and print it for review.

    .venv/bin/python bench/attribution/check_labels.py [ARTICLES.jsonl]

ARTICLES.jsonl defaults to ../shared/eval/rtqa-dev/articles.jsonl relative to the repo root. Offsets in
labels.jsonl are Python str indices into each article's `text`. Prints `speaker | cue | span[:100]` per
statement, then any problems; exits 1 if a label is invalid.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
LABELS = HERE / "labels.jsonl"
DEFAULT_ARTICLES = REPO_ROOT.parent / "shared" / "eval" / "rtqa-dev" / "articles.jsonl"

# A span may not start or end with one of these: quote marks are excluded from the labelled content.
QUOTE_MARKS = frozenset("\"'“”‘’«»„‚‹›`")
# How far before/after a span the cue must appear in the text (a warning, not an error).
CUE_WINDOW = 400


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_article(label: dict[str, Any], article: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """Errors and warnings for one labelled article."""
    errors: list[str] = []
    warnings: list[str] = []
    aid = label.get("id")
    if article is None:
        return [f"{aid}: id not found in the articles file"], warnings
    if label.get("url") != article["url"]:
        errors.append(f"{aid}: url differs from the article's url")
    text: str = article["text"]
    statements = label.get("statements")
    if not isinstance(statements, list) or not statements:
        return errors + [f"{aid}: no statements"], warnings
    spans: list[tuple[int, int]] = []
    for i, st in enumerate(statements):
        where = f"{aid} #{i}"
        start, end = st.get("start"), st.get("end")
        speaker, cue = st.get("speaker"), st.get("cue")
        if not isinstance(start, int) or not isinstance(end, int):
            errors.append(f"{where}: start/end must be integers")
            continue
        if not isinstance(speaker, str) or not speaker.strip():
            errors.append(f"{where}: empty speaker")
        if not isinstance(cue, str) or not cue.strip():
            errors.append(f"{where}: empty cue")
        if not 0 <= start < end <= len(text):
            errors.append(f"{where}: span [{start}, {end}) out of range or empty (text has {len(text)} chars)")
            continue
        span = text[start:end]
        if span[0].isspace() or span[-1].isspace():
            errors.append(f"{where}: span starts or ends with whitespace: {span[:60]!r}")
        if span[0] in QUOTE_MARKS or span[-1] in QUOTE_MARKS:
            errors.append(f"{where}: span starts or ends with a quote mark: {span[:60]!r}")
        if isinstance(cue, str) and cue.strip():
            window = text[max(0, start - CUE_WINDOW) : end + CUE_WINDOW].lower()
            if cue.lower() not in window:
                warnings.append(f"{where}: cue {cue!r} not found within {CUE_WINDOW} chars of the span")
        spans.append((start, end))
    ordered = sorted(spans)
    for (s1, e1), (s2, e2) in zip(ordered, ordered[1:], strict=False):
        if s2 < e1:
            errors.append(f"{aid}: spans [{s1}, {e1}) and [{s2}, {e2}) overlap")
    return errors, warnings


def main(argv: list[str]) -> int:
    articles_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_ARTICLES
    articles = {a["id"]: a for a in load_jsonl(articles_path)}
    labels = load_jsonl(LABELS)
    errors: list[str] = []
    warnings: list[str] = []
    speakers: Counter[str] = Counter()
    n_statements = 0
    seen: set[str] = set()
    for label in labels:
        aid = label.get("id", "?")
        if aid in seen:
            errors.append(f"{aid}: labelled twice")
        seen.add(aid)
        article = articles.get(aid)
        errs, warns = check_article(label, article)
        errors += errs
        warnings += warns
        statements = label.get("statements") or []
        print(f"=== {aid}  {len(statements)} statements  {label.get('url', '')}")
        for st in sorted(statements, key=lambda s: s.get("start", 0)):
            n_statements += 1
            speakers[st.get("speaker", "")] += 1
            text = article["text"] if article else ""
            span = text[st.get("start", 0) : st.get("end", 0)].replace("\n", "⏎")
            print(f"  {st.get('speaker')} | {st.get('cue')} | {span[:100]}")
    print()
    print(f"articles: {len(labels)}  statements: {n_statements}  distinct speakers: {len(speakers)}")
    for w in warnings:
        print(f"WARNING {w}")
    for e in errors:
        print(f"ERROR {e}")
    print(f"{len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
