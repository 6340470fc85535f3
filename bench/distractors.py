"""Generated distractor articles, to grow a benchmark corpus past the real one (issue 6: 100k chunks).

Each distractor keeps the shape of a real article (a dateline-free body of paragraphs, a title, a
date, an author) but its sentences come from other articles, reshuffled, so it shares their
vocabulary and topics without answering their questions. Dates are spread over the real corpus's
span. Deterministic for a seed. A benchmark helper, not a test.

    .venv/bin/python bench/distractors.py ../shared/eval/rtqa-dev/articles.jsonl 5000 > /tmp/distractors.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from qa.text import split_sentences


def distractors(articles: list[dict], *, seed: int = 7) -> Iterator[dict]:
    """Endless distractors built from the sentences of `articles`."""
    rng = random.Random(seed)
    paragraphs = [p for a in articles for p in a["text"].split("\n\n")]
    sentences = [s.text for p in paragraphs for s in split_sentences(p) if len(s.text) > 40]
    titles = [a["title"] for a in articles if a.get("title")]
    lengths = [len(a["text"]) for a in articles]
    dates = sorted(a["date"] for a in articles if a.get("date"))
    first, last = date.fromisoformat(dates[0]), date.fromisoformat(dates[-1])
    number = 0
    while True:
        number += 1
        target = rng.choice(lengths)
        paragraphs, size = [], 0
        while size < target:
            paragraph = " ".join(rng.sample(sentences, rng.randint(1, 4)))
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        title_words = rng.choice(titles).split()
        rng.shuffle(title_words)
        day = first + timedelta(days=rng.randrange((last - first).days + 1))
        yield {
            "id": f"distractor-{number}",
            "url": f"https://distractor.example/{day:%Y/%m/%d}/{number}",
            "title": " ".join(title_words),
            "date": day.isoformat(),
            "authors": ["Distractor Desk"],
            "text": "\n\n".join(paragraphs),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    articles = [json.loads(line) for line in args.articles.read_text(encoding="utf-8").splitlines() if line.strip()]
    for article in itertools.islice(distractors(articles, seed=args.seed), args.count):
        sys.stdout.write(json.dumps(article) + "\n")


if __name__ == "__main__":
    main()
