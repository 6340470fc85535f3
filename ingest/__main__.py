"""python -m ingest [PATH | URL ...] [--feed URL ...]: add articles (files, folders, JSON/JSONL dumps,
web pages, RSS/Atom feeds) to the store."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport
    from qa.store import Store

URL_PREFIXES = ("http://", "https://")


def is_url(arg: str) -> bool:
    return arg.strip().lower().startswith(URL_PREFIXES)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument(
        "sources",
        nargs="*",
        metavar="PATH_OR_URL",
        help="files or folders (.txt .md .html .json .jsonl), or http(s) URLs of article pages",
    )
    parser.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="an RSS or Atom feed to ingest (repeatable)"
    )
    parser.add_argument("--db", type=Path, help="Chroma directory (QA_DB_DIR)")
    parser.add_argument("--collection", help="collection name (QA_COLLECTION)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.sources and not args.feed:
        parser.error("give at least one PATH, URL or --feed URL")
    urls = [arg for arg in args.sources if is_url(arg)]
    paths = [Path(arg) for arg in args.sources if not is_url(arg)]

    from ingest.pipeline import IngestReport, ingest_paths
    from qa.config import settings_with
    from qa.store import get_store

    store = get_store(settings_with(db_dir=args.db, collection=args.collection))
    report = IngestReport()
    if paths:
        from_files = ingest_paths(paths, store, show_progress=False if args.no_progress or args.json else None)
        report.merge(from_files)
    if urls or args.feed:
        _ingest_web(urls, args.feed, store, report)

    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for failure in report.failed:
            print(f"failed: {failure['path']}: {failure['error']}", file=sys.stderr)
        print(report.summary_line())
    return 1 if report.failed else 0


def _ingest_web(urls: list[str], feeds: list[str], store: Store, report: IngestReport) -> None:
    # Imported only when needed: path-only runs do not load httpx and feedparser.
    from ingest.web import ingest_feed, ingest_urls, make_client

    with make_client() as client:
        if urls:
            ingest_urls(urls, store, report=report, client=client)
        for feed_url in feeds:
            ingest_feed(feed_url, store, report=report, client=client)


if __name__ == "__main__":
    sys.exit(main())
