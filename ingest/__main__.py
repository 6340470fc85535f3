"""python -m ingest PATH [PATH ...]: add articles (files, folders, JSON/JSONL dumps) to the store."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path, help="files or folders (.txt .md .html .json .jsonl)")
    parser.add_argument("--db", type=Path, help="Chroma directory (QA_DB_DIR)")
    parser.add_argument("--collection", help="collection name (QA_COLLECTION)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    from ingest.pipeline import ingest_paths
    from qa.config import settings_with
    from qa.store import get_store

    store = get_store(settings_with(db_dir=args.db, collection=args.collection))
    report = ingest_paths(args.paths, store, show_progress=False if args.no_progress or args.json else None)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for failure in report.failed:
            print(f"failed: {failure['path']}: {failure['error']}", file=sys.stderr)
        print(report.summary_line())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
