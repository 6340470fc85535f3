"""Articles from the web: single pages and RSS/Atom feeds, written by the same idempotent pipeline as files.

Every article fetched from a URL is keyed by that URL (the one asked for, not where redirects ended),
so a page ingested on its own and the same page linked from a feed are one article, and a feed's
entries already in the store are skipped without fetching them again.
"""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlsplit

import feedparser
import httpx

from ingest.articles import Article, LoadError, clean_body, make_article_id, source_from_url, title_from_text
from ingest.loaders.html import article_from_html
from ingest.pipeline import IngestReport, ingest_articles
from qa.store import Store

USER_AGENT = "NewsQA/0.1 (+offline news QA)"
TIMEOUT_SECONDS = 15.0  # per connect / read; a whole download gets DEADLINE_SECONDS
DEADLINE_SECONDS = 60.0  # a server dripping bytes must not stall an ingest forever
MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_FEED_BYTES = 10 * 1024 * 1024
MAX_FEED_ENTRIES = 200

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown"})
META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class FetchError(LoadError):
    """A URL that gave no article; `reason` is what a report shows next to the URL."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    url: str
    final_url: str
    media_type: str  # "text/html", no parameters; "" when the server sent none
    charset: str  # from the Content-Type header; "" when none
    body: bytes


def make_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True, headers={"User-Agent": USER_AGENT})


@contextmanager
def _client_or_own(client: httpx.Client | None) -> Iterator[httpx.Client]:
    """The caller's client as it is, or one of ours, closed afterwards."""
    if client is not None:
        yield client
        return
    with make_client() as own:
        yield own


def _check_scheme(url: str) -> None:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise FetchError(url, "not an http(s) URL")


def _read_limited(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    """The body, refused as soon as it passes max_bytes: a huge page is never held in memory."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(url, f"too large: {int(declared):,} bytes (limit {max_bytes:,})")
    deadline = time.monotonic() + DEADLINE_SECONDS
    parts: list[bytes] = []
    size = 0
    for part in response.iter_bytes():
        size += len(part)
        if size > max_bytes:
            raise FetchError(url, f"too large: more than {max_bytes:,} bytes")
        if time.monotonic() > deadline:
            raise FetchError(url, f"download took longer than {DEADLINE_SECONDS:.0f} s")
        parts.append(part)
    return b"".join(parts)


def fetch(url: str, *, client: httpx.Client, max_bytes: int, accept: Callable[[str], bool]) -> Fetched:
    """GET a URL within the limits; `accept(media_type)` says which content types are wanted."""
    _check_scheme(url)
    try:
        with client.stream("GET", url, follow_redirects=True) as response:
            if not response.is_success:
                raise FetchError(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
            content_type = response.headers.get("content-type", "")
            media_type = content_type.split(";")[0].strip().lower()
            if not accept(media_type):
                raise FetchError(url, f"unsupported content type {media_type or '(none)'}")
            body = _read_limited(response, url, max_bytes)
            charset = response.charset_encoding or ""
            return Fetched(url, str(response.url), media_type, charset, body)
    except httpx.HTTPError as err:
        raise FetchError(url, _network_reason(err)) from None
    except httpx.InvalidURL as err:
        raise FetchError(url, f"invalid URL ({err})") from None


def _network_reason(err: httpx.HTTPError) -> str:
    kind = {
        httpx.ConnectError: "cannot connect",
        httpx.TimeoutException: "timed out",
        httpx.TooManyRedirects: "too many redirects",
        httpx.UnsupportedProtocol: "redirected to a non-http(s) URL",
    }
    label = next((text for cls, text in kind.items() if isinstance(err, cls)), "request failed")
    detail = str(err).strip()
    return f"{label} ({detail})" if detail else label


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name if name else ""
    except LookupError:
        return ""


def decode_body(fetched: Fetched) -> str:
    """The header's charset, else an HTML <meta charset>, else UTF-8 (a few bad bytes are replaced)."""
    encoding = _codec(fetched.charset)
    if not encoding and fetched.media_type in HTML_TYPES | {""}:
        match = META_CHARSET_RE.search(fetched.body[:4096])
        encoding = _codec(match.group(1).decode("ascii")) if match else ""
    if not encoding or encoding == "utf-8":
        encoding = "utf-8-sig"  # drops a byte order mark
    return fetched.body.decode(encoding, errors="replace")


def _is_page_type(media_type: str) -> bool:
    # No Content-Type at all: try it as HTML rather than refuse a page a careless server sent.
    return media_type in HTML_TYPES or media_type in TEXT_TYPES or media_type == ""


def article_from_text(text: str, *, url: str) -> Article:
    try:
        body = clean_body(text)
    except LoadError as err:
        raise FetchError(url, str(err)) from None
    if not body:
        raise FetchError(url, "empty text")
    return Article(
        text=body,
        title=title_from_text(body, url),
        date="",
        source=source_from_url(url),
        url=url,
        path=url,
        article_id=make_article_id(url=url),
    )


def fetch_page(url: str, *, client: httpx.Client, max_bytes: int = MAX_PAGE_BYTES) -> Article:
    """One web page as an Article (HTML via trafilatura, plain text as it is); FetchError when it cannot be."""
    fetched = fetch(url, client=client, max_bytes=max_bytes, accept=_is_page_type)
    text = decode_body(fetched)
    if fetched.media_type in TEXT_TYPES:
        return article_from_text(text, url=url)
    try:
        return article_from_html(text, path=url, url=url)
    except LoadError as err:
        raise FetchError(url, str(err)) from None


def _write(articles: Iterable[Article], store: Store, report: IngestReport) -> None:
    # As ingest_paths: fetched lazily under the lock, so memory stays at one pipeline batch.
    with store.writing():
        ingest_articles(articles, store, report, None)


def _pages(urls: Iterable[str], client: httpx.Client, report: IngestReport) -> Iterator[Article]:
    for url in urls:
        try:
            yield fetch_page(url, client=client)
        except FetchError as err:
            report.fail(url, err.reason)


def ingest_urls(
    urls: list[str], store: Store, *, report: IngestReport | None = None, client: httpx.Client | None = None
) -> IngestReport:
    """Fetch and ingest pages; a dead or unusable link is reported and the others still go in."""
    report = report if report is not None else IngestReport()
    with _client_or_own(client) as http:
        _write(_pages(urls, http, report), store, report)
    return report


# -- feeds -----------------------------------------------------------------------------------------


def _is_feed_type(media_type: str) -> bool:
    # Feeds are served under many names (text/xml, application/rss+xml, even text/html): let feedparser judge.
    return media_type == "" or media_type.startswith("text/") or "xml" in media_type or "rss" in media_type


class _TextOfHtml(HTMLParser):
    """Text of an HTML fragment (a feed entry's summary), block elements as paragraph breaks."""

    BLOCKS = frozenset("p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote pre tr table section article".split())
    SKIPPED = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def text_of_html(fragment: str) -> str:
    parser = _TextOfHtml()
    parser.feed(fragment)
    parser.close()
    return clean_body("".join(parser.parts))


def _entry_date(entry: dict) -> str:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return ""
    try:
        return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday).isoformat()
    except (AttributeError, ValueError):
        return ""


def _entry_text(entry: dict) -> str:
    """The longest of the entry's full content and summary, as plain text."""
    candidates = [part.get("value", "") for part in entry.get("content") or []]
    candidates.append(entry.get("summary", ""))
    texts = [text_of_html(value) for value in candidates if value and value.strip()]
    return max(texts, key=len, default="")


def article_from_entry(entry: dict, *, link: str, feed_title: str) -> Article:
    """An Article from what the feed itself says: for when the linked page cannot be fetched."""
    text = _entry_text(entry)
    if not text:
        raise LoadError("feed entry has no summary or content")
    title = " ".join(text_of_html(entry.get("title", "")).split())
    return Article(
        text=text,
        title=title or title_from_text(text, link),
        date=_entry_date(entry),
        source=feed_title or source_from_url(link),
        url=link,
        path=link,
        article_id=make_article_id(url=link),
        authors=[a for a in [(entry.get("author") or "").strip()] if a],
    )


def _entry_article(entry: dict, link: str, feed_title: str, client: httpx.Client) -> Article:
    try:
        article = fetch_page(link, client=client)
    except FetchError as page_error:
        try:
            return article_from_entry(entry, link=link, feed_title=feed_title)
        except LoadError:
            raise page_error from None
    if not article.date:  # pages often carry no machine-readable date; the feed does
        article.date = _entry_date(entry)
    return article


def _feed_articles(
    entries: list[tuple[str, dict]], feed_title: str, client: httpx.Client, report: IngestReport
) -> Iterator[Article]:
    for link, entry in entries:
        try:
            yield _entry_article(entry, link, feed_title, client)
        except FetchError as err:
            report.fail(link, err.reason)


def parse_feed(fetched: Fetched) -> feedparser.FeedParserDict:
    """feedparser's result, or FetchError when the document is not a feed with entries."""
    # The headers let feedparser resolve relative links and use the declared charset.
    headers = {"content-location": fetched.final_url}
    if fetched.charset:
        headers["content-type"] = f"{fetched.media_type or 'application/xml'}; charset={fetched.charset}"
    parsed = feedparser.parse(fetched.body, response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f": {problem}" if problem else ""
        raise FetchError(fetched.url, f"not an RSS or Atom feed ({fetched.media_type or 'no content type'}{detail})")
    if not parsed.entries:
        raise FetchError(fetched.url, "the RSS or Atom feed has no entries")
    return parsed


def _linked_entries(
    parsed: feedparser.FeedParserDict, feed_url: str, max_entries: int, report: IngestReport
) -> list[tuple[str, dict]]:
    """(link, entry) for the first max_entries entries; links to the same article count once."""
    seen: set[str] = set()
    linked: list[tuple[str, dict]] = []
    for position, entry in enumerate(parsed.entries[:max_entries], start=1):
        link = (entry.get("link") or "").strip()
        if not link:
            report.fail(f"{feed_url} (entry {position})", "feed entry has no link")
        elif make_article_id(url=link) not in seen:  # ".../a" and ".../a/" are one article
            seen.add(make_article_id(url=link))
            linked.append((link, entry))
    return linked


def ingest_feed(
    feed_url: str,
    store: Store,
    *,
    report: IngestReport | None = None,
    client: httpx.Client | None = None,
    max_entries: int = MAX_FEED_ENTRIES,
    max_bytes: int = MAX_FEED_BYTES,
) -> IngestReport:
    """Ingest the articles a feed links to. Entries already stored are counted unchanged and not fetched:
    polling a feed costs one request plus one per new entry."""
    report = report if report is not None else IngestReport()
    with _client_or_own(client) as http:
        try:
            parsed = parse_feed(fetch(feed_url, client=http, max_bytes=max_bytes, accept=_is_feed_type))
        except FetchError as err:
            report.fail(feed_url, err.reason)
            return report
        entries = _linked_entries(parsed, feed_url, max_entries, report)
        # The pipeline keys a URL's article by make_article_id(url=...): the same key finds it stored.
        stored = store.article_states([make_article_id(url=link) for link, _ in entries])
        new = [(link, entry) for link, entry in entries if make_article_id(url=link) not in stored]
        report.unchanged += len(entries) - len(new)
        feed_title = " ".join((parsed.feed.get("title") or "").split()) or source_from_url(feed_url)
        _write(_feed_articles(new, feed_title, http, report), store, report)
    return report
