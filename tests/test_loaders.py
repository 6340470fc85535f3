"""Loaders and chunking: metadata, titles, broken input. No model needed."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.chunking import chunk_article
from ingest.loaders import load_file
from tests.conftest import FIXTURES


def test_seed_shape_date_marker_is_metadata_not_text():
    article = load_file(FIXTURES / "summit.txt").articles[0]
    assert article.date == "2024-02-14"
    assert article.text.startswith("Northland and Southmark on Tuesday")
    assert "date 2024" not in article.text
    # No heading: the title comes from the first sentence, cut short.
    assert article.title.startswith("Northland and Southmark on Tuesday agreed")
    assert len(article.title) <= 121
    assert article.source == "summit.txt"


def test_markdown_heading_and_date_line():
    article = load_file(FIXTURES / "harvest.md").articles[0]
    assert article.title == "Orchard growers expect a late apple harvest"
    assert article.date == "2024-09-02"
    assert article.text.startswith("Apple growers in the Fenwick valley")


def test_front_matter(tmp_path: Path):
    path = tmp_path / "a.md"
    path.write_text(
        "---\ntitle: Front title\ndate: 2023-01-05\nsource: Wire\nurl: https://x.org/a\n---\n\nBody text here.\n"
    )
    article = load_file(path).articles[0]
    assert (article.title, article.date, article.source, article.url) == (
        "Front title",
        "2023-01-05",
        "Wire",
        "https://x.org/a",
    )
    assert article.text == "Body text here."


def test_html_main_text_without_boilerplate():
    article = load_file(Path(__file__).parent.parent / "examples/articles/grain-cooperative.html").articles[0]
    assert article.title == "Valley grain cooperative reports record harvest"
    assert article.date == "2024-05-20"
    assert "Chairwoman Priya Raman said" in article.text
    assert "Subscribe" not in article.text and "Privacy policy" not in article.text


def test_jsonl_fields_and_stable_ids():
    first = load_file(FIXTURES / "dump.jsonl")
    again = load_file(FIXTURES / "dump.jsonl")
    assert not first.problems
    pool, tram = first.articles
    assert (pool.title, pool.date, pool.url, pool.source) == (
        "City opens new swimming pool",
        "2024-07-01",
        "https://example.org/pool",
        "Test Wire",
    )
    assert tram.date == "2024-07-02" and tram.text.startswith("The number 4 tram")
    assert [a.article_id for a in first.articles] == [a.article_id for a in again.articles]
    assert pool.article_id != tram.article_id


def test_json_list_and_object(tmp_path: Path):
    path = tmp_path / "list.json"
    path.write_text('[{"title": "One", "content": "First text."}, {"title": "Two", "text": "Second text."}]')
    assert [a.title for a in load_file(path).articles] == ["One", "Two"]
    path.write_text('{"headline": "Solo", "body": "Only text.", "publish_date": "March 3, 2022"}')
    (article,) = load_file(path).articles
    assert (article.title, article.date) == ("Solo", "2022-03-03")


def test_broken_files_are_named_with_the_reason(tmp_path: Path):
    cases = {
        "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        "latin1.txt": ("Caf\xe9 au lait, said the owner.".encode("latin-1"), "not UTF-8"),
        "empty.md": (b"  \n\n ", "empty"),
        "bad.json": (b'{"title": "x", "text": ', "malformed JSON at line 1"),
        "notext.json": (b'{"title": "only a title"}', "no article text"),
        "marker-only.txt": (b" date 2024-01-01 ", "no article text"),
        "deep.json": (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    }
    for name, (data, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        loaded = load_file(path)
        assert loaded.articles == [], name
        assert len(loaded.problems) == 1, name
        where, error = loaded.problems[0]
        assert where == str(path)
        assert reason in error, (name, error)


def test_jsonl_bad_line_is_reported_and_the_rest_load(tmp_path: Path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"title": "Good", "text": "Fine text."}\n{not json}\n{"title": "No text"}\n')
    loaded = load_file(path)
    assert [a.title for a in loaded.articles] == ["Good"]
    assert [where for where, _ in loaded.problems] == [f"{path}:line 2", f"{path}:line 3"]
    assert "malformed JSON" in loaded.problems[0][1]


def test_unsupported_type(tmp_path: Path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG")
    assert "unsupported file type" in load_file(path).problems[0][1]


def test_chunks_keep_each_paragraph_with_the_one_before():
    article = load_file(FIXTURES / "summit.txt").articles[0]
    paragraphs = article.text.split("\n\n")
    chunks = chunk_article(article.text, title=article.title, date=article.date, max_chars=500)
    assert len(chunks) > 1
    for before, after in zip(paragraphs, paragraphs[1:], strict=False):
        assert any(before in c.text and after in c.text for c in chunks), after[:40]
    header = f"{article.title}\n{article.date}\n\n"
    for chunk in chunks:
        assert chunk.embed_text.startswith(header)
        assert chunk.text.endswith(chunk.embed_text.removeprefix(header))
    # Each paragraph is embedded exactly once, though the stored texts overlap.
    embedded = [p for c in chunks for p in c.embed_text.removeprefix(header).split("\n\n")]
    assert embedded == paragraphs


def test_long_paragraph_is_cut_at_sentences():
    text = " ".join(f"Sentence number {i} talks about the harbour." for i in range(200))
    chunks = chunk_article(text, title="T", date="", max_chars=400)
    assert all(len(c.text) <= 400 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)
    assert "Sentence number 199" in chunks[-1].text


def test_untitled_record_skips_the_dateline(tmp_path: Path):
    path = tmp_path / "wire.jsonl"
    records = [
        {"url": "https://x.org/1", "text": "New York CNN Business —\n\nSpirit and Frontier agreed to merge. More."},
        {"url": "https://x.org/2", "text": "(CNN) Adele is coming back to Las Vegas. Tickets soon."},
        {"url": "https://x.org/3", "text": "WASHINGTON (AP) — The Senate passed the bill. It now goes on."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records))
    titles = [a.title for a in load_file(path).articles]
    assert titles == [
        "Spirit and Frontier agreed to merge",
        "Adele is coming back to Las Vegas",
        "The Senate passed the bill",
    ]


def test_an_untitled_stub_takes_its_title_from_the_url_slug(tmp_path: Path):
    path = tmp_path / "slugs.jsonl"
    records = [
        {"url": "https://news.example/2024/05/02/business/ferry-strike-ends/index.html", "text": "Ads. More ads."},
        {"url": "https://news.example/live-news/h_c164ac931cc84141", "text": "The ferry strike ended on Monday."},
        {"url": "https://news.example/2024/05/02/ferry-pay-deal/", "text": "The ferry crews agreed a deal. " * 20},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records))
    titles = [a.title for a in load_file(path).articles]
    assert titles == ["Ferry strike ends", "The ferry strike ended on Monday", "The ferry crews agreed a deal"]
