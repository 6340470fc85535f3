"""python -m qa ask|search: ask the stored articles from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="the question (or search query)")
    parser.add_argument("--k", type=int, help="passages to retrieve")
    parser.add_argument("--since", help="only articles published on or after YYYY-MM-DD")
    parser.add_argument("--until", help="only articles published on or before YYYY-MM-DD")
    parser.add_argument("--as-of", dest="as_of", help="answer as of YYYY-MM-DD: nothing published later is used")
    parser.add_argument("--db", help="Chroma directory (QA_DB_DIR)")
    parser.add_argument("--collection", help="collection name (QA_COLLECTION)")
    parser.add_argument("--json", action="store_true", help="print JSON (the shape in DESIGN.md)")


def _print_details(result) -> None:
    if result.note:
        print(f"\nNote: {result.note}")
    if result.sources:
        print("\nSources:")
        for source in result.sources:
            where = " ".join(part for part in (source.date, source.source, source.url) if part)
            print(f"[{source.n}] {source.title} ({where})")


def _stream_to_terminal(stream) -> None:
    """On a terminal, an LLM's tokens as they come; then the checked answer (when it differs) and sources."""
    shown = ""
    live = sys.stdout.isatty()
    for item in stream:
        if isinstance(item, str):
            if live and item.startswith(shown):
                sys.stdout.write(item[len(shown) :])
                sys.stdout.flush()
                shown = item
            continue
        if shown:
            print()
        if item.answer != shown:  # nothing streamed, or citations were fixed, or a fallback replaced it
            print(("\n" if shown else "") + textwrap.fill(item.answer, width=100))
        _print_details(item)


def _eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from qa.config import settings_with
    from qa.eval import evaluate, load_questions
    from qa.store import get_store

    settings = settings_with(db_dir=args.db, collection=args.collection)
    store = get_store(settings)
    try:
        if args.format == "multihop-rag":
            from qa.eval import evaluate_multihop, load_multihop_queries

            # The corpus goes in first, as any other: python -m ingest corpus.json
            metrics = evaluate_multihop(load_multihop_queries(Path(args.questions)), store, settings)
        else:
            metrics = evaluate(load_questions(Path(args.questions)), store, settings).to_json()
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(metrics))
    else:
        for name, value in metrics.items():
            print(f"{name:>16}: {value}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question, quoting and citing the articles")
    _common(ask)
    ask.add_argument("--llm", help="answer backend (QA_LLM); default: extractive")
    find = commands.add_parser("search", help="the passages that best match a query")
    _common(find)
    evaluate = commands.add_parser("eval", help="retrieval and answer metrics over a question file")
    evaluate.add_argument("questions", help="JSONL: question, date, choices, answers, gold_urls")
    evaluate.add_argument(
        "--format",
        choices=["rtqa", "multihop-rag"],
        default="rtqa",
        help="multihop-rag: MultiHopRAG.json with the paper's retrieval protocol",
    )
    evaluate.add_argument("--db", help="Chroma directory (QA_DB_DIR)")
    evaluate.add_argument("--collection", help="collection name (QA_COLLECTION)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    if args.command == "eval":
        return _eval(args)

    from qa.chain import QuestionError, answer, search, stream_answer
    from qa.config import settings_with

    settings = settings_with(db_dir=args.db, collection=args.collection)
    options = {
        "k": args.k,
        "since": args.since,
        "until": args.until,
        "as_of": args.as_of,
        "settings": settings,
    }
    try:
        if args.command == "ask":
            if args.json:
                result = answer(args.question, llm=args.llm, **options)
                print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
            else:
                _stream_to_terminal(stream_answer(args.question, llm=args.llm, **options))
        else:
            hits = search(args.question, **options)
            if args.json:
                print(json.dumps({"results": [h.to_json() for h in hits]}, ensure_ascii=False, indent=2))
            else:
                for hit in hits:
                    print(f"{hit.rank}. [{hit.score:.3f}] {hit.title} ({hit.date})")
                    print(textwrap.indent(textwrap.shorten(hit.text, 300), "   "))
    except QuestionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `... | head`: the reader has gone; that is not an error
        sys.exit(0)
