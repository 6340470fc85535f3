"""Bad input everywhere, generated (hypothesis): every loader with random bytes, invalid UTF-8, huge
lines and deep or broken JSON; questions empty, huge or full of control characters; upload names
that try to leave the folder. Each case gets a clear error naming what was wrong, and the store
keeps exactly what it held."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.loaders import LOADERS, load_file
from ingest.pipeline import ingest_paths
from ingest.uploads import UploadError, safe_name, save_uploads
from qa.chain import QuestionError, answer, search
from qa.config import Settings
from qa.store import Store
from tests.conftest import FIXTURES

SUFFIXES = sorted(LOADERS)
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory, embedder) -> Store:
    folder = tmp_path_factory.mktemp("bad-input")
    store = Store(Settings(db_dir=folder / "chroma", collection="bad-input", chroma_url=None), embedder=embedder)
    ingest_paths([FIXTURES], store, show_progress=False)
    return store


def snapshot(store: Store) -> tuple[int, frozenset[str], int]:
    return store.chunk_count(), frozenset(store.collection.get(include=[])["ids"]), store.keyword_index.count()


def assert_refused_cleanly(store: Store, path: Path, before) -> None:
    """Ingesting `path` either stores articles or reports the file by name with a reason; nothing stored is lost."""
    report = ingest_paths([path], store, show_progress=False)
    for failure in report.failed:
        assert path.name in failure["path"] and failure["error"].strip(), failure
    stored_before = before[1]
    after = snapshot(store)
    assert stored_before <= after[1]  # nothing lost
    assert after[0] == after[2]  # Chroma and the keyword index agree
    if report.added == 0:
        assert after == before


# --- Loaders -------------------------------------------------------------------------------------


@EXAMPLES
@given(data=st.binary(min_size=0, max_size=4000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_in_any_loader(tmp_path_factory, data: bytes, suffix: str):
    path = tmp_path_factory.mktemp("bytes") / f"random{suffix}"
    path.write_bytes(data)
    loaded = load_file(path)  # never raises
    for where, error in loaded.problems:
        assert str(path) in where and error.strip()
    if not loaded.articles:
        assert loaded.problems, "nothing loaded and nothing said"


@EXAMPLES
@given(
    prefix=st.text(alphabet=string.ascii_letters + " \n", max_size=200),
    bad=st.sampled_from([b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xf0\x28\x8c\x28", b"\x80\x80"]),
    suffix=st.sampled_from(SUFFIXES),
)
def test_invalid_utf8_is_named_as_such(tmp_path_factory, prefix: str, bad: bytes, suffix: str):
    path = tmp_path_factory.mktemp("utf8") / f"latin{suffix}"
    path.write_bytes(prefix.encode() + bad + b" more text")
    loaded = load_file(path)
    assert not loaded.articles
    assert any("UTF-8" in error for _, error in loaded.problems), loaded.problems


def test_deeply_nested_json_is_refused_with_a_reason(filled_store: Store, tmp_path: Path):
    before = snapshot(filled_store)
    for name, text in {
        "deep.json": "[" * 200_000 + "]" * 200_000,
        "deep-object.json": '{"a":' * 100_000 + "1" + "}" * 100_000,
        "deep.jsonl": "[" * 200_000 + "]" * 200_000 + "\n",
    }.items():
        path = tmp_path / name
        path.write_text(text)
        loaded = load_file(path)
        assert not loaded.articles and loaded.problems
        assert all(error.strip() for _, error in loaded.problems)
        assert_refused_cleanly(filled_store, path, before)


@EXAMPLES
@given(text=st.text(max_size=300), suffix=st.sampled_from([".json", ".jsonl"]))
def test_malformed_json_never_breaks_the_store(filled_store: Store, tmp_path_factory, text: str, suffix: str):
    path = tmp_path_factory.mktemp("json") / f"broken{suffix}"
    path.write_text(text, encoding="utf-8")
    assert_refused_cleanly(filled_store, path, snapshot(filled_store))


def test_huge_lines_and_files(filled_store: Store, tmp_path: Path):
    before = snapshot(filled_store)
    huge_line = tmp_path / "huge-line.jsonl"
    record = {"title": "Long", "date": "2024-01-01", "text": "word " * 3_000_000}  # one 15 MB line
    huge_line.write_text(json.dumps(record) + "\n")
    report = ingest_paths([huge_line], filled_store, show_progress=False)
    assert report.failed and "line 1" in report.failed[0]["path"]
    assert "article text too long: 15,000,000 characters" in report.failed[0]["error"]
    assert snapshot(filled_store) == before
    no_newlines = tmp_path / "one-line.txt"
    no_newlines.write_text("Headline\n\n" + "x" * 200_000)  # a single 200 KB "sentence"
    report = ingest_paths([no_newlines], filled_store, show_progress=False)
    assert report.added == 1 and not report.failed
    stored = filled_store.collection.get(where={"path": str(no_newlines.resolve())}, include=["documents"])
    assert stored["documents"] and max(len(d) for d in stored["documents"]) <= filled_store.settings.chunk_chars
    filled_store.delete_articles([filled_store.list_articles()[0]["article_id"]])


# --- Questions -----------------------------------------------------------------------------------


@EXAMPLES
@given(question=st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_any_question_gets_an_answer_or_a_clear_refusal(filled_store: Store, question: str):
    before = snapshot(filled_store)
    try:
        reply = answer(question, settings=filled_store.settings, store=filled_store)
    except QuestionError as err:
        assert "empty" in str(err) or "too long" in str(err)
        assert not "".join(ch for ch in question if ch.isprintable()).strip()
    else:
        assert isinstance(reply.answer, str) and reply.answer
    assert snapshot(filled_store) == before


@pytest.mark.parametrize(
    "question, message",
    [
        ("", "empty"),
        ("   \n\t  ", "empty"),
        ("\x00\x01\x02\x1b\x7f\u200b", "empty"),
        ("Who met in Marlow? " * 6000, "too long"),  # about 100 KB
    ],
)
def test_question_errors_say_what_is_wrong(filled_store: Store, question: str, message: str):
    with pytest.raises(QuestionError, match=message):
        answer(question, settings=filled_store.settings, store=filled_store)
    with pytest.raises(QuestionError, match=message):
        search(question, settings=filled_store.settings, store=filled_store)


def test_control_characters_inside_a_question_are_ignored(filled_store: Store):
    clean = answer("Who met in Marlow?", settings=filled_store.settings, store=filled_store)
    noisy = answer("Who\x00 met\x1b in\u200b Marlow?\x07", settings=filled_store.settings, store=filled_store)
    assert noisy.found == clean.found and noisy.sources[:1] == clean.sources[:1]


# --- Upload names and sizes ----------------------------------------------------------------------


@EXAMPLES
@given(
    name=st.one_of(
        st.text(max_size=300),
        st.builds(lambda a, b: f"{a}/../{b}", st.text(max_size=30), st.text(max_size=30)),
        st.sampled_from(["../../etc/passwd.md", "/etc/passwd.txt", "C:\\Windows\\x.md", "..", ".", "\x00.md", "ǅ.md"]),
    )
)
def test_upload_names_never_leave_the_folder(tmp_path_factory, name: str):
    cleaned = safe_name(name)
    assert cleaned and "/" not in cleaned and "\\" not in cleaned and cleaned not in (".", "..")
    assert not cleaned.startswith(".") and len(cleaned) <= 120
    folder = tmp_path_factory.mktemp("uploads")
    source = folder / "incoming.tmp"
    source.write_text("Headline\n\nBody text.")
    target = folder / "kept"
    saved = save_uploads([(source, name + ".md")], target, max_files=5, max_bytes=10_000)
    for path in saved.paths:
        assert path.resolve().parent == target.resolve()
    assert len(saved.paths) + len(saved.failed) == 1


def test_oversized_and_too_many_uploads_are_refused(tmp_path: Path):
    big = tmp_path / "big.tmp"
    big.write_bytes(b"a" * 3_000_001)
    saved = save_uploads([(big, "big.md")], tmp_path / "kept", max_files=5, max_bytes=3_000_000)
    assert not saved.paths and "too large" in saved.failed[0]["error"] and saved.failed[0]["path"] == "big.md"
    with pytest.raises(UploadError, match="Too many files: 6 at once; the limit is 5"):
        save_uploads([(big, f"{n}.md") for n in range(6)], tmp_path / "kept", max_files=5, max_bytes=10**9)
    assert not (tmp_path / "kept").exists() or not any((tmp_path / "kept").iterdir())
