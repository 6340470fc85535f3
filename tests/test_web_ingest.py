"""Web ingest against a real HTTP server on 127.0.0.1: pages, feeds, dead links, limits, the CLI.

The articles below are invented for these tests; none is real news.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import pytest

from ingest.articles import LoadError, make_article_id
from ingest.pipeline import IngestReport
from ingest.web import USER_AGENT, fetch_page, ingest_feed, ingest_urls
from qa.retrieval import NewsRetriever
from tests.conftest import cli, free_port, run_env

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"

# (path, title, paragraphs): small invented stories, long enough for trafilatura to see an article.
STORIES = {
    "lighthouse": (
        "Volunteers relight the Kessick Point lighthouse",
        [
            "The lamp at Kessick Point shone again on Saturday night for the first time in forty years. "
            "A group of twenty volunteers spent three summers repairing the tower. "
            "They replaced the rusted gallery rail and rebuilt the lantern room by hand.",
            "The keeper's cottage next to the tower will open as a small museum in the spring. "
            "Old logbooks found in the attic record storms going back to 1898. "
            "The volunteers plan to scan every page and put them on display.",
            "Harbour master Ilse Varrow said the light is now a landmark rather than a navigation aid. "
            "Modern ships rely on satellite positioning along this stretch of coast. "
            "Still, she said, fishing crews cheered when the beam swept across the bay.",
        ],
    ),
    "orchard": (
        "Harrowby orchard cooperative opens a shared cider press",
        [
            "Growers in Harrowby opened a shared cider press in the old grain store on Tuesday. "
            "The cooperative has forty members, most of them with fewer than a hundred trees. "
            "Until now they sold their apples to a single buyer at a low price.",
            "The press can handle two tonnes of fruit a day during the autumn harvest. "
            "Members book time slots through a paper ledger kept at the village shop. "
            "The first batch of juice was bottled within an hour of pressing.",
            "Cooperative secretary Doran Pell said prices for members had already doubled. "
            "Several farms that had planned to grub up their trees have changed their minds. "
            "A tasting day for the new cider is planned for the end of October.",
        ],
    ),
    "ferry": (
        "Tamsey island ferry replaced by an electric boat",
        [
            "The diesel ferry that links Tamsey island to the mainland made its last crossing on Friday. "
            "Its replacement is a battery-powered boat built at a yard on the estuary. "
            "The new ferry carries sixty passengers and twelve bicycles.",
            "Charging takes twenty minutes at the mainland pier between crossings. "
            "The crossing time stays at a quarter of an hour in calm weather. "
            "Engineers tested the boat through the winter gales before it entered service.",
            "Island residents had campaigned for a quieter ferry for more than a decade. "
            "Skipper Mara Quillon said passengers can now hear the seabirds during the trip. "
            "The old diesel boat will be sold to a museum on the north coast.",
        ],
    ),
    "telescopes": (
        "Dunmore library starts lending telescopes",
        [
            "The public library in Dunmore now lends telescopes as well as books. "
            "Six small reflecting telescopes were donated by the town's astronomy club. "
            "Each one can be borrowed for two weeks with an ordinary library card.",
            "Every telescope comes with a printed star chart and a red torch. "
            "Club members will run a free evening class on the first Monday of each month. "
            "The waiting list already has more than eighty names on it.",
            "Librarian Oskar Fenwith said families were the most eager borrowers so far. "
            "He hopes the scheme will bring new visitors into the library building. "
            "The club has promised to donate two more telescopes next year.",
        ],
    ),
}

BRIDGE_SUMMARY = (
    "<p>The footbridge over the Lenn river at Carrow will close for repairs in March.</p>"
    "<p>Engineers found corroded bolts during a routine inspection last month. "
    "A temporary crossing will be built a short distance downstream.</p>"
)


def page_html(title: str, paragraphs: list[str]) -> bytes:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
        f"<article><h1>{escape(title)}</h1>\n{body}\n</article>"
        "<footer>Coastal Courier, an invented paper</footer></body></html>"
    ).encode()


@dataclass
class Route:
    body: bytes
    content_type: str = HTML
    status: int = 200
    send_length: bool = True


@dataclass
class Site:
    """The routes the server answers and every path it was asked for, in order."""

    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def page_requests(self) -> list[str]:
        return [p for p in self.requests if not p.endswith(".xml")]


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            site.user_agents.append(self.headers.get("User-Agent", ""))
            route = site.routes.get(self.path) or Route(b"<html><body>Not here</body></html>", status=404)
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.send_length:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading an oversized body: that is the point

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    for name, (title, paragraphs) in STORIES.items():
        site.routes[f"/news/{name}"] = Route(page_html(title, paragraphs))
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def rss(site: Site, items: list[tuple[str, str, str, str | None]], title: str = "Coastal Courier") -> bytes:
    """An RSS 2.0 feed; each item is (title, path, RFC 822 date, description or None)."""
    parts = []
    for item_title, path, date, description in items:
        summary = f"<description>{escape(description)}</description>" if description else ""
        parts.append(
            f"<item><title>{escape(item_title)}</title><link>{site.url(path)}</link>"
            f"<pubDate>{date}</pubDate>{summary}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{site.base}/</link><description>Invented news</description>"
        f"{''.join(parts)}</channel></rss>"
    ).encode()


THREE_ITEMS = [
    (STORIES["lighthouse"][0], "/news/lighthouse", "Mon, 03 Jun 2024 08:00:00 GMT", None),
    (STORIES["orchard"][0], "/news/orchard", "Tue, 04 Jun 2024 08:00:00 GMT", None),
    (STORIES["ferry"][0], "/news/ferry", "Wed, 05 Jun 2024 08:00:00 GMT", None),
]


def serve_feed(site: Site, items: list[tuple[str, str, str, str | None]]) -> str:
    site.routes["/feed.xml"] = Route(rss(site, items), content_type=RSS)
    return site.url("/feed.xml")


def stored_metadata(store, url: str) -> dict:
    found = store.collection.get(where={"article_id": make_article_id(url=url)}, include=["metadatas"])
    assert found["metadatas"], f"nothing stored for {url}"
    return found["metadatas"][0]


def counts(report: IngestReport) -> tuple[int, int, int]:
    return report.added, report.updated, report.unchanged


# -- pages ---------------------------------------------------------------------------------------


def test_url_is_ingested_and_searchable(store, site: Site):
    lighthouse, orchard = site.url("/news/lighthouse"), site.url("/news/orchard")
    report = ingest_urls([lighthouse, orchard], store)
    assert (counts(report), report.failed) == ((2, 0, 0), [])
    assert store.chunk_count() == report.chunks > 0
    meta = stored_metadata(store, lighthouse)
    assert meta["title"] == "Volunteers relight the Kessick Point lighthouse"
    assert (meta["url"], meta["path"], meta["source"]) == (lighthouse, lighthouse, site.base.removeprefix("http://"))
    assert set(site.user_agents) == {USER_AGENT}

    top = NewsRetriever(store=store, k=2).invoke("Who repaired the Kessick Point lighthouse?")[0]
    assert top.metadata["url"] == lighthouse
    assert "gallery rail" in store.collection.get(where={"url": lighthouse}, include=["documents"])["documents"][0]


def test_reingesting_a_url_is_unchanged(store, site: Site):
    url = site.url("/news/ferry")
    assert counts(ingest_urls([url], store)) == (1, 0, 0)
    chunks = store.chunk_count()
    again = ingest_urls([url], store)
    assert (counts(again), again.chunks, again.failed) == ((0, 0, 1), 0, [])
    assert store.chunk_count() == chunks


def test_dead_links_are_reported_and_the_good_url_still_added(store, site: Site):
    good, missing = site.url("/news/orchard"), site.url("/news/gone")
    closed = f"http://127.0.0.1:{free_port()}/news/nowhere"
    report = ingest_urls([missing, good, closed], store)
    assert counts(report) == (1, 0, 0)
    assert stored_metadata(store, good)["title"] == STORIES["orchard"][0]
    errors = {f["path"]: f["error"] for f in report.failed}
    assert set(errors) == {missing, closed}
    assert errors[missing] == "HTTP 404 Not Found"
    assert errors[closed].startswith("cannot connect")


def test_non_html_content_type_is_refused(site: Site):
    site.routes["/report.pdf"] = Route(b"%PDF-1.7 not really", content_type="application/pdf")
    url = site.url("/report.pdf")
    with httpx.Client() as client, pytest.raises(LoadError) as raised:
        fetch_page(url, client=client)
    assert str(raised.value) == f"{url}: unsupported content type application/pdf"


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "streamed"])
def test_oversized_page_is_refused(site: Site, send_length: bool):
    title, paragraphs = STORIES["telescopes"]
    site.routes["/big"] = Route(page_html(title, paragraphs * 1000), send_length=send_length)
    size = len(site.routes["/big"].body)
    assert size > 500_000
    url = site.url("/big")
    with httpx.Client() as client, pytest.raises(LoadError) as raised:
        fetch_page(url, client=client, max_bytes=100_000)
    # Declared: refused from the header alone; streamed: refused once past the limit.
    expected = f"too large: {size:,} bytes (limit 100,000)" if send_length else "too large: more than 100,000 bytes"
    assert str(raised.value) == f"{url}: {expected}"


def test_plain_text_page_and_bad_scheme(site: Site):
    text = "Carrow market moves indoors for the winter.\n\nStalls will trade in the old corn exchange until April."
    site.routes["/notice.txt"] = Route(text.encode(), content_type="text/plain; charset=utf-8")
    with httpx.Client() as client:
        article = fetch_page(site.url("/notice.txt"), client=client)
        assert article.title == "Carrow market moves indoors for the winter"
        assert article.text.endswith("old corn exchange until April.")
        assert article.article_id == make_article_id(url=site.url("/notice.txt"))
        with pytest.raises(LoadError, match=r"^ftp://127\.0\.0\.1/a: not an http\(s\) URL$"):
            fetch_page("ftp://127.0.0.1/a", client=client)
    assert site.requests == ["/notice.txt"]


# -- feeds ---------------------------------------------------------------------------------------


def test_feed_entries_added_then_skipped_without_refetching(store, site: Site):
    feed = serve_feed(site, THREE_ITEMS)
    first = ingest_feed(feed, store)
    assert (counts(first), first.failed) == ((3, 0, 0), [])
    assert sorted(site.page_requests()) == ["/news/ferry", "/news/lighthouse", "/news/orchard"]
    assert store.article_count() == 3
    # The pages carry no date of their own: the feed's pubDate fills it in.
    assert stored_metadata(store, site.url("/news/orchard"))["date"] == "2024-06-04"

    site.requests.clear()
    again = ingest_feed(feed, store)
    assert (counts(again), again.chunks, again.failed) == ((0, 0, 3), 0, [])
    assert site.requests == ["/feed.xml"]  # the feed only: no stored entry is fetched again

    site.requests.clear()
    telescopes = (STORIES["telescopes"][0], "/news/telescopes", "Thu, 06 Jun 2024 08:00:00 GMT", None)
    serve_feed(site, [telescopes, *THREE_ITEMS])
    grown = ingest_feed(feed, store)
    assert (counts(grown), grown.failed) == ((1, 0, 3), [])
    assert site.page_requests() == ["/news/telescopes"]
    assert stored_metadata(store, site.url("/news/telescopes"))["title"] == STORIES["telescopes"][0]
    assert store.article_count() == 4


def test_dead_feed_link_with_summary_is_ingested_from_the_summary(store, site: Site):
    bridge = ("Carrow footbridge to close for repairs", "/news/bridge", "Fri, 07 Jun 2024 09:30:00 GMT", BRIDGE_SUMMARY)
    feed = serve_feed(site, [bridge, THREE_ITEMS[0]])
    report = ingest_feed(feed, store)
    assert (counts(report), report.failed) == ((2, 0, 0), [])
    url = site.url("/news/bridge")
    assert "/news/bridge" in site.requests  # the page was tried first
    found = store.collection.get(where={"url": url}, include=["documents", "metadatas"])
    meta = found["metadatas"][0]
    assert (meta["title"], meta["date"], meta["source"]) == (bridge[0], "2024-06-07", "Coastal Courier")
    text = " ".join(found["documents"])
    assert "corroded bolts" in text and "<p>" not in text


def test_dead_feed_link_without_summary_fails_and_the_rest_proceed(store, site: Site):
    dead = ("A story that was taken down", "/news/withdrawn", "Fri, 07 Jun 2024 10:00:00 GMT", None)
    feed = serve_feed(site, [THREE_ITEMS[0], dead, THREE_ITEMS[1]])
    report = ingest_feed(feed, store)
    assert counts(report) == (2, 0, 0)
    assert report.failed == [{"path": site.url("/news/withdrawn"), "error": "HTTP 404 Not Found"}]
    assert store.article_count() == 2


def test_a_page_that_is_not_a_feed_fails_clearly(store, site: Site):
    page = site.url("/news/lighthouse")
    report = ingest_feed(page, store)
    assert counts(report) == (0, 0, 0)
    assert [f["path"] for f in report.failed] == [page]
    assert report.failed[0]["error"].startswith("not an RSS or Atom feed (text/html")
    assert store.chunk_count() == 0

    missing = ingest_feed(site.url("/gone.xml"), store)
    assert missing.failed == [{"path": site.url("/gone.xml"), "error": "HTTP 404 Not Found"}]


# -- CLI -----------------------------------------------------------------------------------------


def test_cli_urls_and_paths_one_report(tmp_path: Path, site: Site):
    db = str(tmp_path / "db")
    note = tmp_path / "note.txt"
    note.write_text("Harbour wall repaired\n\nMasons finished repairing the Kessick harbour wall on Monday.\n")
    good = site.url("/news/lighthouse")
    done = cli("-m", "ingest", good, str(note), "--json", "--db", db, env=run_env())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) | {"chunks": 0} == {
        "added": 2,
        "updated": 0,
        "unchanged": 0,
        "failed": [],
        "chunks": 0,
    }
    assert json.loads(done.stdout)["chunks"] > 0

    missing = site.url("/news/gone")
    again = cli("-m", "ingest", good, missing, "--db", db, env=run_env())
    assert again.returncode == 1
    assert again.stdout.strip() == "0 added, 0 updated, 1 unchanged, 1 failed (0 chunks written)"
    assert f"failed: {missing}: HTTP 404 Not Found" in again.stderr


def test_cli_feed(tmp_path: Path, site: Site):
    db = str(tmp_path / "db")
    feed = serve_feed(site, THREE_ITEMS)
    done = cli("-m", "ingest", "--feed", feed, "--json", "--db", db, env=run_env())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["added"], report["unchanged"], report["failed"]) == (3, 0, [])

    dead = ("A story that was taken down", "/news/withdrawn", "Fri, 07 Jun 2024 10:00:00 GMT", None)
    serve_feed(site, [dead, *THREE_ITEMS])
    again = cli("-m", "ingest", "--feed", feed, "--json", "--db", db, env=run_env())
    assert again.returncode == 1
    report = json.loads(again.stdout)
    assert (report["added"], report["unchanged"], report["chunks"]) == (0, 3, 0)
    assert report["failed"] == [{"path": site.url("/news/withdrawn"), "error": "HTTP 404 Not Found"}]


def test_cli_needs_something_to_ingest():
    done = cli("-m", "ingest", env=run_env())
    assert done.returncode == 2
    assert "give at least one PATH, URL or --feed URL" in done.stderr
