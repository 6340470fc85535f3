"""JSON (an object, a list of objects, or {"articles": [...]}) and JSON Lines dumps of articles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ingest.articles import (
    Article,
    LoadError,
    clean_body,
    make_article_id,
    parse_date,
    source_from_url,
    title_from_text,
)
from ingest.loaders.common import read_text

TEXT_FIELDS = ("text", "body", "content")
DATE_FIELDS = ("date", "published_at", "publish_date")


def _string_field(record: dict, names: tuple[str, ...]) -> str:
    for name in names:
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def article_from_record(record: object, *, path: Path, position: str) -> Article:
    if not isinstance(record, dict):
        raise LoadError(f"expected a JSON object, got {type(record).__name__}")
    text = clean_body(_string_field(record, TEXT_FIELDS))
    if not text:
        raise LoadError("no article text: expected a non-empty 'text', 'body' or 'content' field")
    url = _string_field(record, ("url", "link"))
    authors = record.get("authors") or record.get("author") or []
    if isinstance(authors, str):
        authors = [authors]
    record_id = record.get("id")
    date_value = next((record[name] for name in DATE_FIELDS if record.get(name)), "")
    return Article(
        text=text,
        title=" ".join(_string_field(record, ("title", "headline")).split()) or title_from_text(text, url),
        date=parse_date(date_value),
        source=_string_field(record, ("source", "publisher")) or source_from_url(url) or path.name,
        url=url,
        path=str(path),
        article_id=make_article_id(
            url=url,
            record_id=str(record_id) if isinstance(record_id, (str, int)) and record_id != "" else "",
            path=str(path.resolve()),
            position=position,
        ),
        authors=[str(a) for a in authors if isinstance(a, (str, int))] if isinstance(authors, list) else [],
    )


def _decode(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise LoadError(f"malformed JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    except RecursionError:
        raise LoadError("malformed JSON: nested too deeply") from None


def load_json(path: Path) -> Iterator[Article | tuple[str, LoadError]]:
    data = _decode(read_text(path))
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if isinstance(data, dict):
        yield article_from_record(data, path=path, position="0")
        return
    if not isinstance(data, list):
        raise LoadError(f"expected a JSON object or a list of objects, got {type(data).__name__}")
    if not data:
        raise LoadError("empty JSON list: no articles")
    for index, record in enumerate(data):
        try:
            yield article_from_record(record, path=path, position=str(index))
        except LoadError as err:
            yield f"item {index}", err


def load_jsonl(path: Path) -> Iterator[Article | tuple[str, LoadError]]:
    lines = read_text(path).splitlines()
    if not any(line.strip() for line in lines):
        raise LoadError("empty file")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield article_from_record(_decode(line), path=path, position=f"line{number}")
        except LoadError as err:
            yield f"line {number}", err
