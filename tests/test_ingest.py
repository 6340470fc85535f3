"""Ingest into a real Chroma with the real model: idempotence, replacement, broken files, CLI."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.pipeline import ingest_paths
from tests.conftest import cli, run_env

# The integration suite: each test runs on an embedded store and on a real Chroma server.
BOTH_STORE_MODES = True


def test_ingest_is_idempotent(store, articles_dir: Path):
    first = ingest_paths([articles_dir], store, show_progress=False)
    assert (first.added, first.updated, first.unchanged, first.failed) == (4, 0, 0, [])
    chunks = store.chunk_count()
    assert first.chunks == chunks > 0
    assert store.article_count() == 4

    second = ingest_paths([articles_dir], store, show_progress=False)
    assert (second.added, second.updated, second.unchanged, second.chunks) == (0, 0, 4, 0)
    assert store.chunk_count() == chunks


def test_changed_article_replaces_all_its_chunks(store, articles_dir: Path):
    ingest_paths([articles_dir], store, show_progress=False)
    path = articles_dir / "summit.txt"
    original_ids = set(store.collection.get(where={"path": str(path.resolve())})["ids"])
    assert original_ids

    # Shorter and different: every old chunk must go, none may linger.
    path.write_text(" date 2024-02-15 Talks in Marlow were postponed by a storm.\n\nNo new date was set.\n")
    report = ingest_paths([articles_dir], store, show_progress=False)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
    stored = store.collection.get(where={"path": str(path.resolve())}, include=["documents", "metadatas"])
    assert set(stored["ids"]).isdisjoint(original_ids)
    assert len(stored["ids"]) == stored["metadatas"][0]["n_chunks"] == 1
    assert "postponed by a storm" in stored["documents"][0]
    assert stored["metadatas"][0]["date"] == "2024-02-15"
    assert not store.collection.get(where_document={"$contains": "Selby Strait"})["ids"]


def test_broken_files_are_skipped_and_reported(store, articles_dir: Path):
    ingest_paths([articles_dir], store, show_progress=False)
    before = store.chunk_count()
    (articles_dir / "broken.json").write_text('{"title": "oops", ')
    (articles_dir / "latin1.txt").write_bytes("Caf\xe9".encode("latin-1"))
    (articles_dir / "new.md").write_text("# Ferry strike ends\n\nFerry crews returned to work on Friday.\n")
    report = ingest_paths([articles_dir], store, show_progress=False)
    assert report.added == 1 and report.unchanged == 4
    assert {Path(f["path"]).name for f in report.failed} == {"broken.json", "latin1.txt"}
    assert store.chunk_count() == before + 1


def test_cli_json_report_and_exit_status(tmp_path: Path, articles_dir: Path):
    (articles_dir / "empty.txt").write_text("")
    env = run_env(QA_DB_DIR=str(tmp_path / "db"))
    done = cli("-m", "ingest", str(articles_dir), "--json", env=env)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == 4 and report["chunks"] > 0
    assert report["failed"] == [{"path": str(articles_dir / "empty.txt"), "error": "empty file"}]

    (articles_dir / "empty.txt").unlink()
    again = cli("-m", "ingest", str(articles_dir), env=env)
    assert again.returncode == 0, again.stderr
    assert "0 added, 0 updated, 4 unchanged, 0 failed" in again.stdout
