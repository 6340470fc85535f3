"""Plain text and Markdown articles.

Recognised metadata: front matter (`---` / `key: value` / `---`), a leading `date YYYY-MM-DD`
marker (possibly on the same line as the first paragraph), a first-line `# Heading` or a short
first line set apart by a blank line as the title.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.articles import Article, LoadError, clean_body, make_article_id, parse_date, title_from_text
from ingest.loaders.common import read_text

FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", re.DOTALL)
DATE_MARKER_RE = re.compile(r"\A\s*date:?[ \t]+(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
MD_HEADING_RE = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(\n|\Z)")
MD_LINK_RE = re.compile(r"\[([^\]]+)\]\([^)]*\)")
TITLE_LINE_MAX = 150


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, text[match.end() :]


def _plain_title_line(text: str) -> tuple[str, str]:
    """A short first line followed by a blank line, not ending like a sentence, is a title."""
    first, sep, rest = text.lstrip().partition("\n")
    if (
        sep
        and rest.startswith(("\n", "\r\n"))
        and rest.strip()
        and len(first.strip()) <= TITLE_LINE_MAX
        and not first.rstrip().endswith((".", "!", "?", ":", ","))
    ):
        return first.strip(), rest
    return "", text


def _strip_markdown(text: str) -> str:
    text = MD_LINK_RE.sub(r"\1", text)
    return re.sub(r"(?m)^[ \t]*#{1,6}[ \t]+", "", text)


def load(path: Path) -> list[Article]:
    raw = read_text(path)
    fields, body = _front_matter(raw)
    date = parse_date(fields.get("date", ""))
    marker = DATE_MARKER_RE.match(body)
    if marker:
        date = date or parse_date(marker.group(1))
        body = body[marker.end() :]
    title = fields.get("title", "")
    if not title:
        heading = MD_HEADING_RE.match(body)
        if heading:
            title, body = heading.group(1).strip(), body[heading.end() :]
            marker = DATE_MARKER_RE.match(body)  # "# Title" then "date: ..." on its own line
            if marker:
                date = date or parse_date(marker.group(1))
                body = body[marker.end() :]
        elif path.suffix.lower() == ".txt":
            title, body = _plain_title_line(body)
    if path.suffix.lower() == ".md":
        body = _strip_markdown(body)
    text = clean_body(body)
    if not text:
        raise LoadError("no article text (only metadata or white space)")
    url = fields.get("url", "")
    return [
        Article(
            text=text,
            title=title or title_from_text(text, url),
            date=date,
            source=fields.get("source", "") or path.name,
            url=url,
            path=str(path),
            article_id=make_article_id(url=url, path=str(path.resolve())),
            authors=[a.strip() for a in fields.get("authors", fields.get("author", "")).split(",") if a.strip()],
        )
    ]
