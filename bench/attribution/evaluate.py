"""Precision and recall of qa/attribution.py against the hand-labelled set (labels.jsonl).

    .venv/bin/python bench/attribution/evaluate.py [../shared/eval/rtqa-dev/articles.jsonl] [--show ID]

A predicted statement is right when it overlaps a labelled one by at least half of the shorter span
and names the same speaker (one name holds the other's words: "Biden" = "Joe Biden"). Precision:
right predictions over all predictions; recall: labelled statements found over all labelled. Each
labelled statement counts once. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.attribution import find_statements

HERE = Path(__file__).resolve().parent
DEFAULT_ARTICLES = HERE.parent.parent.parent / "shared" / "eval" / "rtqa-dev" / "articles.jsonl"


def same_speaker(predicted: str, gold: str) -> bool:
    a = {w.strip(".,").lower() for w in predicted.split()}
    b = {w.strip(".,").lower() for w in gold.split()}
    return bool(a) and bool(b) and (a <= b or b <= a)


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return shared > 0 and shared >= 0.5 * min(a[1] - a[0], b[1] - b[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path, nargs="?", default=DEFAULT_ARTICLES)
    parser.add_argument("--show", help="print one article's predictions and labels side by side")
    args = parser.parse_args()
    texts = {}
    for line in args.articles.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            texts[record["id"]] = record["text"]
    labels = [json.loads(line) for line in (HERE / "labels.jsonl").read_text().splitlines() if line.strip()]
    predicted_total = right = gold_total = found = 0
    wrong_speaker = 0
    for item in labels:
        text = texts[item["id"]]
        gold = [((s["start"], s["end"]), s["speaker"]) for s in item["statements"]]
        predictions = [((s.start, s.end), s.speaker) for s in find_statements(text)]
        predicted_total += len(predictions)
        gold_total += len(gold)
        matched_gold: set[int] = set()
        for span, speaker in predictions:
            hits = [i for i, (g_span, g_speaker) in enumerate(gold) if overlaps(span, g_span)]
            good = [i for i in hits if same_speaker(speaker, gold[i][1])]
            if good:
                right += 1
                matched_gold.update(good[:1])
            elif hits:
                wrong_speaker += 1
            if args.show == item["id"]:
                mark = "ok " if good else ("SPK" if hits else "---")
                print(f"{mark} {speaker:24.24} | {text[span[0] : span[1]][:90]!r}")
        found += len(matched_gold)
        if args.show == item["id"]:
            for i, (span, speaker) in enumerate(gold):
                if i not in matched_gold:
                    print(f"MISS {speaker:23.23} | {text[span[0] : span[1]][:90]!r}")
    precision = right / predicted_total if predicted_total else 0.0
    recall = found / gold_total if gold_total else 0.0
    result = {
        "articles": len(labels),
        "labelled": gold_total,
        "predicted": predicted_total,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "wrong_speaker": wrong_speaker,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
