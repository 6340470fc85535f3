"""Crash safety and several processes on one store: a write killed at any point is finished or undone,
readers never see half an article, and a process sees another's writes. Real Chroma (embedded and
server), the real model, real SIGKILLs."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from qa.chain import search
from qa.config import Settings
from qa.store import Store
from tests.conftest import PYTHON, ROOT, run_env

BOTH_STORE_MODES = True


class Killed(BaseException):
    """Stands in for SIGKILL inside one process: nothing after the failure point runs."""


def consistency(store: Store) -> dict:
    """Every article in Chroma: one version, complete; the keyword index holds exactly Chroma's chunks."""
    found = store.collection.get(include=["metadatas"])
    versions: dict[str, dict[str, int]] = {}
    sizes: dict[tuple[str, str], int] = {}
    for meta in found["metadatas"]:
        article, version = str(meta["article_id"]), str(meta["content_hash"])
        versions.setdefault(article, {}).setdefault(version, 0)
        versions[article][version] += 1
        sizes[(article, version)] = int(meta["n_chunks"])
    return {
        "articles": len(versions),
        "chunks": len(found["ids"]),
        "one_version_each": all(len(v) == 1 for v in versions.values()),
        "complete": all(count == sizes[(a, h)] for a, v in versions.items() for h, count in v.items()),
        "keyword_index_matches": store.keyword_index.chunk_ids() == set(found["ids"]),
        "journal_left": store.journal_path.exists(),
    }


def write_article(folder: Path, name: str, title: str, date: str, paragraphs: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"# {title}\n\ndate: {date}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def old_harbour(articles_dir: Path) -> None:
    write_article(
        articles_dir,
        "harbour.md",
        "Selby harbour stays shut",
        "2024-03-01",
        ["The harbour at Selby stays closed after the storm.", "No ferries will sail to Marlow this week."],
    )


def update_harbour(articles_dir: Path) -> None:
    write_article(
        articles_dir,
        "harbour.md",
        "Selby harbour reopens",
        "2024-03-02",
        ["The harbour at Selby reopened on Saturday after the storm.", "Ferries to Marlow run again on Monday."],
    )


def long_harbour_update(articles_dir: Path) -> None:
    repair = "Harbour master Ann Rigg listed repair number {}: a quay wall, a crane and the slipway. "
    filler = [repair.format(n) * 3 for n in range(8)]
    write_article(
        articles_dir,
        "harbour.md",
        "Selby harbour reopens",
        "2024-03-02",
        ["The harbour at Selby reopened on Saturday after the storm.", *filler],
    )


def test_a_write_killed_inside_its_chroma_write_is_undone(store: Store, articles_dir: Path, monkeypatch):
    old_harbour(articles_dir)
    ingest_paths([articles_dir], store, show_progress=False)
    before = consistency(store)
    long_harbour_update(articles_dir)
    upsert = store.collection.upsert

    def killed_half_way(*, ids, documents, embeddings, metadatas):
        assert len(ids) > 2
        upsert(ids=ids[:2], documents=documents[:2], embeddings=embeddings[:2], metadatas=metadatas[:2])
        raise Killed

    monkeypatch.setattr(store.collection, "upsert", killed_half_way)
    with pytest.raises(Killed):
        ingest_paths([articles_dir], store, show_progress=False)
    monkeypatch.undo()
    assert store.journal_path.exists() and store.chunk_count() == before["chunks"] + 2
    # Readers see the old version only, never the half-written new one.
    hits = search("When did the harbour at Selby reopen?", settings=store.settings, store=store)
    assert not any("reopened on Saturday" in hit.text or "Ann Rigg" in hit.text for hit in hits)

    with store.writing():  # the next writer's first act: recovery
        pass
    assert consistency(store) == before
    report = ingest_paths([articles_dir], store, show_progress=False)
    assert report.updated == 1  # the undone write is done again
    hits = search("When did the harbour at Selby reopen?", settings=store.settings, store=store)
    assert "reopened on Saturday" in hits[0].text
    after = consistency(store)
    assert after["one_version_each"] and after["complete"] and after["keyword_index_matches"]


def test_a_write_killed_between_chroma_and_its_commit_is_finished(store: Store, articles_dir: Path, monkeypatch):
    old_harbour(articles_dir)
    ingest_paths([articles_dir], store, show_progress=False)
    update_harbour(articles_dir)

    def killed(*args, **kwargs):
        raise Killed

    # The new version is whole in Chroma; the keyword index never committed it.
    monkeypatch.setattr(store.keyword_index, "replace", killed)
    with pytest.raises(Killed):
        ingest_paths([articles_dir], store, show_progress=False)
    monkeypatch.undo()
    hits = search("When did the harbour at Selby reopen?", settings=store.settings, store=store)
    assert not any("reopened on Saturday" in hit.text for hit in hits)  # not committed: not seen

    with store.writing():
        pass
    after = consistency(store)
    assert after["one_version_each"] and after["complete"] and after["keyword_index_matches"]
    hits = search("When did the harbour at Selby reopen?", settings=store.settings, store=store)
    assert "reopened on Saturday" in hits[0].text
    assert ingest_paths([articles_dir], store, show_progress=False).unchanged == after["articles"]


def test_a_write_killed_after_its_commit_is_finished(store: Store, articles_dir: Path, monkeypatch):
    old_harbour(articles_dir)
    ingest_paths([articles_dir], store, show_progress=False)
    before = consistency(store)
    harbour = str((articles_dir / "harbour.md").resolve())
    old_ids = set(store.collection.get(where={"path": harbour})["ids"])
    assert old_ids
    update_harbour(articles_dir)
    delete = store.collection.delete

    def killed(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(store.collection, "delete", killed)  # killed before the old chunks left Chroma
    with pytest.raises(Killed):
        ingest_paths([articles_dir], store, show_progress=False)
    monkeypatch.setattr(store.collection, "delete", delete)
    assert old_ids <= set(store.collection.get(include=[])["ids"])
    # Committed: readers already see only the new version.
    hits = search("When did the harbour at Selby reopen?", settings=store.settings, store=store)
    assert "reopened on Saturday" in hits[0].text
    assert not old_ids & {hit.chunk_id for hit in hits}

    with store.writing():
        pass
    after = consistency(store)
    assert after["articles"] == before["articles"] and after["one_version_each"] and after["complete"]
    assert after["keyword_index_matches"] and not after["journal_left"]
    assert not old_ids & set(store.collection.get(include=[])["ids"])
    assert ingest_paths([articles_dir], store, show_progress=False).unchanged == before["articles"]


def test_another_process_writes_are_seen(store: Store, articles_dir: Path):
    """The app's process keeps answering while a second process ingests into the same store; it then
    finds the new article by meaning (vectors), not only by its words."""
    ingest_paths([articles_dir], store, show_progress=False)
    search("Marlow talks", settings=store.settings, store=store)  # the index is open and warm
    extra = articles_dir.parent / "extra"
    write_article(
        extra,
        "orchard.md",
        "Frost spares the Denholm orchards",
        "2024-04-02",
        ["Growers in Denholm said the late frost did little harm to the cherry blossom this spring."],
    )
    env = run_env(QA_DB_DIR=str(store.settings.db_dir), QA_COLLECTION=store.settings.collection)
    if store.settings.chroma_url:
        env["QA_CHROMA_URL"] = store.settings.chroma_url
    done = subprocess.run(
        [PYTHON, "-m", "ingest", str(extra), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    settings = store.settings.model_copy(update={"refresh_seconds": 0.0})
    store.settings = settings
    hits = search("What did growers in Denholm say about the frost?", settings=settings, store=store)
    assert hits and hits[0].title == "Frost spares the Denholm orchards"
    # By meaning too: the vector index this process holds has the other process's vectors.
    vector = store.embedder.embed_query("late frost and cherry blossom")
    nearest = store.collection.query(query_embeddings=[vector], n_results=1, include=["metadatas"])
    assert nearest["metadatas"][0][0]["title"] == "Frost spares the Denholm orchards"
    assert consistency(store)["keyword_index_matches"]


KILL_LOOP_ARTICLES = 360


def _articles(folder: Path, count: int, edition: int) -> None:
    rng = random.Random(edition)
    towns = ["Selby", "Marlow", "Denholm", "Ashford", "Kirkby", "Halden", "Brora", "Tain"]
    topics = ["harbour", "rail line", "school", "orchard", "bridge", "library", "ferry", "market"]
    for number in range(count):
        town, topic = towns[number % len(towns)], topics[(number // len(towns)) % len(topics)]
        paragraphs = [
            f"Officials in {town} said on Tuesday that work on the {topic} would {verb} by {rng.randint(2, 9)} weeks."
            for verb in ("slip", "speed up", "pause", "resume", "finish early", "need more money")
            for _ in range(3)
        ]
        if number % 2 and edition:  # later editions change half the articles
            paragraphs.append(f"Edition {edition}: the council will vote on the {topic} plan in {town} next month.")
        write_article(folder, f"a{number:03d}.md", f"{town} {topic} update {number}", "2024-05-01", paragraphs)


@pytest.mark.timeout(600)
def test_sigkill_at_random_moments_never_leaves_the_store_inconsistent(settings: Settings, tmp_path: Path):
    folder = tmp_path / "many"
    env = run_env(QA_DB_DIR=str(settings.db_dir), QA_COLLECTION=settings.collection)
    if settings.chroma_url:
        env["QA_CHROMA_URL"] = settings.chroma_url
    check = (
        "import json; from qa.config import Settings; from qa.store import Store; "
        "from tests.test_reliability import consistency; s = Store(Settings()); "
        "s.writing().__enter__(); print(json.dumps(consistency(s)))"
    )
    rng = random.Random(11)
    kills = 0
    for edition in range(4):
        # Enough articles that an ingest is still writing when the kill comes (2.5 to 7 s in).
        _articles(folder, KILL_LOOP_ARTICLES, edition)
        ingest = subprocess.Popen(
            [PYTHON, "-m", "ingest", str(folder), "--json"], cwd=ROOT, env=env, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(rng.uniform(2.5, 7.0))
        if ingest.poll() is None:
            os.killpg(ingest.pid, signal.SIGKILL)
            kills += 1
        ingest.wait(timeout=60)
        state = subprocess.run([PYTHON, "-c", check], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert state.returncode == 0, state.stderr
        found = json.loads(state.stdout)
        assert found["one_version_each"] and found["complete"] and found["keyword_index_matches"], found
        assert not found["journal_left"], found
    assert kills >= 2  # the loop really killed writers mid-ingest
    # The next run completes what the kills interrupted: every article, in its latest edition.
    done = subprocess.run(
        [PYTHON, "-m", "ingest", str(folder), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    state = subprocess.run([PYTHON, "-c", check], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    found = json.loads(state.stdout)
    assert found["articles"] == KILL_LOOP_ARTICLES and found["one_version_each"] and found["complete"], found
    store = Store(settings)
    latest = store.collection.get(where={"title": "Marlow harbour update 1"}, include=["documents"])["documents"]
    assert any("Edition 3:" in text for text in latest)
