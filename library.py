"""What the app's Library and Add pages (and /articles, /ingest, /delete) do, apart from layout.

Every function takes the settings and returns the JSON the API gives; the app renders it. Writes
are refused unless `QA_ENABLE_WRITES` (or `--enable-writes`) turned them on.
"""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import IngestReport, ingest_paths
from ingest.uploads import UploadError, save_uploads
from qa.config import Settings
from qa.store import get_store

WRITES_OFF = (
    "Adding and deleting articles is off. Start the app with --enable-writes (or QA_ENABLE_WRITES=1); "
    "`make run` does, on 127.0.0.1."
)


class WriteError(PermissionError):
    """A store change that is not allowed or not possible; the message says why."""


def _check_writes(settings: Settings) -> None:
    if not settings.enable_writes:
        raise WriteError(WRITES_OFF)


def list_articles(settings: Settings, query: str = "") -> dict:
    """{"articles": [{article_id, title, date, source, url, path, chunks, ingested_at}], "total": n}."""
    rows = get_store(settings).list_articles()
    words = query.lower().split()
    if words:
        rows = [
            row
            for row in rows
            if all(w in f"{row['title']} {row['source']} {row['url']} {row['date']}".lower() for w in words)
        ]
    return {"articles": rows, "total": len(rows)}


def delete_articles(settings: Settings, article_ids: list[str]) -> dict:
    """{"deleted": articles removed, "chunks": chunks removed, "missing": ids not in the store}."""
    _check_writes(settings)
    ids = [str(i).strip() for i in article_ids or [] if str(i).strip()]
    if not ids:
        raise WriteError("No articles chosen to delete.")
    store = get_store(settings)
    with store.writing():
        present = set(store.article_states(ids))
        chunks = store.delete_articles(sorted(present))
    return {"deleted": len(present), "chunks": chunks, "missing": [i for i in ids if i not in present]}


def ingest_uploads(settings: Settings, files: list[tuple[Path, str]]) -> IngestReport:
    """Uploaded (temporary path, original name) pairs: kept in the upload folder, then ingested."""
    _check_writes(settings)
    try:
        saved = save_uploads(
            files,
            Path(settings.upload_dir),
            max_files=settings.max_upload_files,
            max_bytes=settings.max_upload_mb * 1_000_000,
        )
    except UploadError as err:
        raise WriteError(str(err)) from None
    report = IngestReport(failed=saved.failed)
    if saved.paths:
        report.merge(ingest_paths(saved.paths, get_store(settings), show_progress=False))
    return report


def ingest_web(settings: Settings, urls: list[str], feeds: list[str]) -> IngestReport:
    _check_writes(settings)
    from ingest.web import ingest_feed, ingest_urls

    store = get_store(settings)
    report = IngestReport()
    if urls:
        ingest_urls(urls, store, report=report)
    for feed in feeds:
        ingest_feed(feed, store, report=report)
    return report


def reingest(settings: Settings, article_ids: list[str]) -> IngestReport:
    """Read chosen articles again from where they came from: their file, or their URL."""
    _check_writes(settings)
    rows = {row["article_id"]: row for row in get_store(settings).list_articles()}
    report = IngestReport()
    paths, urls = [], []
    for article_id in article_ids:
        row = rows.get(article_id)
        if row is None:
            report.fail(article_id, "not in the store")
        elif row["file"] and Path(row["file"]).is_file():
            paths.append(Path(row["file"]))
        elif row["url"].startswith(("http://", "https://")):
            urls.append(row["url"])
        else:
            report.fail(row["title"] or article_id, "its file is gone and it has no URL")
    if paths:
        report.merge(ingest_paths(sorted(set(paths)), get_store(settings), show_progress=False))
    if urls:
        from ingest.web import ingest_urls

        ingest_urls(urls, get_store(settings), report=report)
    return report


def summary(report: dict) -> str:
    """One line for an ingest report's JSON: "2 added, 0 updated, 1 unchanged, 1 failed"."""
    failed = report.get("failed") or []
    line = (
        f"{report.get('added', 0)} added, {report.get('updated', 0)} updated, "
        f"{report.get('unchanged', 0)} unchanged, {len(failed)} failed"
    )
    return line + "".join(f"\n- failed: {f.get('path')}: {f.get('error')}" for f in failed)
