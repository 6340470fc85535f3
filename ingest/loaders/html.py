"""HTML pages: the main text and metadata by trafilatura, boilerplate (menus, footers) left out."""

from __future__ import annotations

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


def article_from_html(html: str, *, path: str, url: str = "") -> Article:
    import trafilatura

    document = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False, include_tables=False
    )
    body = (getattr(document, "text", None) or "") if document is not None else ""
    # trafilatura separates paragraphs by single newlines; we use blank lines.
    text = clean_body(body.replace("\n", "\n\n"))
    if not text:
        raise LoadError("no article text found in the HTML")
    url = url or (document.url or "")
    title = (document.title or "").strip() or title_from_text(text, url)
    first, _, rest = text.partition("\n\n")
    if rest and first.strip().lower() == title.lower():  # the page's <h1> repeats the title
        text = rest
    author = document.author or ""
    return Article(
        text=text,
        title=title,
        date=parse_date(document.date),
        source=(document.sitename or "").strip() or source_from_url(url) or Path(path).name,
        url=url,
        path=path,
        article_id=make_article_id(url=url, path=path),
        authors=[a.strip() for a in author.split(";") if a.strip()],
    )


def load(path: Path) -> list[Article]:
    return [article_from_html(read_text(path), path=str(path.resolve()))]
