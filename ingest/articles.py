"""The article record every loader produces, and the metadata rules they share."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit, urlunsplit

from qa.text import DATELINE_PARAGRAPH_RE, DATELINE_PREFIX_RE, normalize_text, split_sentences

TITLE_MAX_CHARS = 120
# The longest real news stories run to about 100,000 characters; ten times that is a dump, not an article.
MAX_ARTICLE_CHARS = 1_000_000


class LoadError(Exception):
    """A file or record that cannot become an article; the message says what is wrong."""


@dataclass
class Article:
    text: str
    title: str
    date: str  # ISO YYYY-MM-DD, or "" when unknown
    source: str
    url: str
    path: str
    article_id: str
    authors: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything stored for the article would change."""
        digest = hashlib.sha256()
        for part in (self.text, self.title, self.date, self.source, self.url, ", ".join(self.authors)):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
        return digest.hexdigest()[:16]


def _hash_id(prefix: str, key: str) -> str:
    return prefix + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def normalize_url(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def make_article_id(*, url: str = "", record_id: str = "", path: str = "", position: str = "") -> str:
    """Stable across runs and edits: from the url, else the record's own id, else where it lives.

    Content is deliberately not part of the id, so an edited article replaces its old chunks.
    """
    if url:
        return _hash_id("u", normalize_url(url))
    if record_id:
        return _hash_id("r", record_id)
    return _hash_id("p", f"{path}#{position}")


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")


def parse_date(value: object) -> str:
    """Any common date spelling (ISO datetime too) as YYYY-MM-DD; "" when there is none or it is nonsense."""
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value)).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return ""
    text = str(value).strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return date(*map(int, match.groups())).isoformat()
        except ValueError:
            return ""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        from dateutil import parser as date_parser

        return date_parser.parse(text, fuzzy=False).date().isoformat()
    except (ValueError, OverflowError, ImportError):
        return ""


SLUG_WORD_RE = re.compile(r"^[a-z][a-z'’]*$")
SLUG_MIN_WORDS = 2
STUB_CHARS = 400  # text shorter than this is not a story
# Path words that name a section of a site, not a story.
SECTION_WORDS = frozenset("news live world us uk politics business story stories article articles index amp".split())


def title_from_url(url: str) -> str:
    """A news URL's slug is a headline for search engines: ".../2022/06/15/business/ford-recall-suv/"
    gives "Ford recall suv". Only a slug of words (no ids, no hashes) counts."""
    segments = [seg for seg in urlsplit(url).path.split("/") if seg]
    best = ""
    for segment in segments:
        segment = re.sub(r"\.(html?|php|aspx?)$", "", segment.lower())
        parts = [p for p in re.split(r"[-_]+", segment) if p]
        # a trailing id ("...-intl-hnk", "...-7633818001") is not part of the headline
        while parts and not SLUG_WORD_RE.match(parts[-1]):
            parts.pop()
        if (
            len(parts) >= SLUG_MIN_WORDS
            and all(SLUG_WORD_RE.match(p) or p.isdigit() for p in parts)
            and not set(parts) <= SECTION_WORDS
        ):
            candidate = " ".join(parts)
            if len(candidate) > len(best):
                best = candidate
    return best[:1].upper() + best[1:]


def title_from_text(text: str, url: str = "") -> str:
    """A title for an article that has none: its first sentence, cut at a word boundary, skipping an
    opening dateline ("WASHINGTON —", "(CNN)"). A stub (a scraped page with no story, a paywall)
    has no sentence worth it: its URL's slug, when that reads as words, is the better title.
    """
    if len(text) < STUB_CHARS and (slug_title := title_from_url(url)):
        return slug_title
    paragraphs = [p.strip() for p in text[:3000].split("\n\n") if p.strip()]
    while len(paragraphs) > 1 and DATELINE_PARAGRAPH_RE.match(paragraphs[0]):
        paragraphs.pop(0)
    opening = DATELINE_PREFIX_RE.sub("", paragraphs[0], count=1) if paragraphs else ""
    sentences = split_sentences(opening or text[:2000])
    first = sentences[0].text if sentences else text.strip()
    first = " ".join(first.split())
    if len(first) <= TITLE_MAX_CHARS:
        return first.rstrip(".")
    cut = first[:TITLE_MAX_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def clean_body(text: str) -> str:
    """Normalized text with paragraphs separated by one blank line and tidy inner whitespace."""
    if len(text) > MAX_ARTICLE_CHARS:
        raise LoadError(f"article text too long: {len(text):,} characters (the limit is {MAX_ARTICLE_CHARS:,})")
    text = normalize_text(text)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def source_from_url(url: str) -> str:
    host = urlsplit(url).netloc.lower()
    return host.removeprefix("www.")
