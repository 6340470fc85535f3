"""The Gradio app: a chat over the stored articles, with sources, and named API endpoints.

UI and API are thin faces over `qa.chain` (answer, search); this file holds layout and wiring only.
Endpoints: /ask and /search (JSON of DESIGN.md), /chat (what the chat box calls).
"""

from __future__ import annotations

import argparse
import html
import ipaddress
import os
import sys
from pathlib import Path

# Offline by default: no usage analytics, no model hub (both read when gradio is imported).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

import library  # noqa: E402
from qa.chain import QuestionError, answer, search, stream_answer, summarize_article  # noqa: E402
from qa.config import Settings, get_settings  # noqa: E402
from qa.extractive import EMPTY_STORE  # noqa: E402
from qa.schema import Answer  # noqa: E402
from qa.store import get_store  # noqa: E402

TITLE = "NewsQA"
TAGLINE = "Ask questions about your news articles; get short answers that quote and cite them. Runs offline."
EXAMPLES = [
    "What did the council decide about bike lanes?",
    "What did Raman say about fuel costs?",
    "What did Lindqvist say about the NMHP?",
]
CSS = """
.source-card {border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 10px 12px; margin-bottom: 10px;}
.source-card h4 {margin: 0 0 4px 0;}
.source-meta {color: var(--body-text-color-subdued); font-size: 0.9em; margin-bottom: 6px;}
.source-card mark {background: #fff3b0; color: inherit; padding: 0 1px;}
.source-card .speaker {font-weight: 600; font-size: 0.9em;}
"""


def store_status(settings: Settings) -> str:
    store = get_store(settings)
    articles, chunks = store.article_count(), store.chunk_count()
    if not articles:
        return "**No articles yet.** Add some: `.venv/bin/python -m ingest PATH` (files, folders, JSON/JSONL)."
    return f"**{articles:,}** articles ({chunks:,} passages) in the store."


def render_sources(result: Answer | None) -> str:
    if result is None or not result.sources:
        return "<p class='source-meta'>Sources of the answer appear here.</p>"
    cards = []
    for source in result.sources:
        passage = html.escape(source.text)
        for number, quote in enumerate(source.quotes):
            escaped = html.escape(quote)
            speaker = source.speakers[number] if number < len(source.speakers) else ""
            said_by = f" <span class='speaker'>— {html.escape(speaker)}</span>" if speaker else ""
            passage = passage.replace(escaped, f"<mark>{escaped}</mark>{said_by}", 1)
        passage = passage.replace("\n\n", "<br><br>")
        title = html.escape(source.title or "(untitled)")
        if source.url.startswith(("http://", "https://")):
            title = f"<a href='{html.escape(source.url, quote=True)}' target='_blank' rel='noopener'>{title}</a>"
        meta = " · ".join(html.escape(part) for part in (source.date, source.source) if part)
        cards.append(
            f"<div class='source-card'><h4>[{source.n}] {title}</h4>"
            f"<div class='source-meta'>{meta}</div><div>{passage}</div></div>"
        )
    return "".join(cards)


def build_app(settings: Settings | None = None) -> gr.Blocks:
    settings = settings or get_settings()

    def options(k: int, since: str, until: str, as_of: str) -> dict:
        """API inputs as `qa.chain` options: 0 and "" mean "not given"."""
        return {"k": k or None, "since": since or None, "until": until or None, "as_of": as_of or None}

    def ask(question: str, k: int = 0, since: str = "", until: str = "", as_of: str = "") -> dict:
        """Answer a question from the stored articles: {answer, found, sources, timings_ms}."""
        try:
            return answer(question, settings=settings, **options(k, since, until, as_of)).to_json()
        except QuestionError as err:
            raise gr.Error(str(err)) from None

    def search_api(query: str, k: int = 10, since: str = "", until: str = "", as_of: str = "") -> dict:
        """The passages that best match a query: {results: [...]}."""
        try:
            hits = search(query, settings=settings, **options(k, since, until, as_of))
        except QuestionError as err:
            raise gr.Error(str(err)) from None
        return {"results": [hit.to_json() for hit in hits]}

    def chat(message: str, history: list, since: str, until: str, sources: list[str] | None = None):
        """One chat turn, streamed: the chat with the answer growing, the sources panel, and "" to
        clear the question box. A follow-up ("where was he?") is read against the history."""
        earlier = list(history or [])
        shown = [*earlier, {"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        try:
            stream = stream_answer(
                message,
                history=earlier,
                since=since or None,
                until=until or None,
                sources=list(sources or []) or None,
                settings=settings,
            )
            for item in stream:
                if not isinstance(item, Answer):
                    shown[-1] = {"role": "assistant", "content": item}
                    yield shown, render_sources(None), "", None
                    continue
                # Details beside the answer; messages with metadata never go back to a model.
                details = []
                if item.question:
                    details.append(
                        {"role": "assistant", "content": item.question, "metadata": {"title": "Understood as"}}
                    )
                if item.note:
                    details.append({"role": "assistant", "content": item.note, "metadata": {"title": "Note"}})
                shown = [*shown[:-1], *details, {"role": "assistant", "content": item.answer}]
                yield shown, render_sources(item), "", item
        except QuestionError as err:
            shown[-1] = {"role": "assistant", "content": str(err)}
            yield shown, render_sources(None), "", None

    def summary_choices(result: Answer | None):
        """The articles of this session's last answer's sources, for the Summarize button."""
        seen: dict[str, str] = {}
        for source in result.sources if result else []:
            seen.setdefault(source.article_id, f"[{source.n}] {source.title[:70]}")
        return gr.update(choices=[(label, article_id) for article_id, label in seen.items()], value=None)

    def summarize_in_chat(article_id: str | None, history: list):
        """The chosen source's article summarized into the chat, with its sources."""
        if not article_id:
            return history, gr.update()
        try:
            result = summarize_article(article_id, settings=settings)
        except QuestionError as err:
            return [*history, {"role": "assistant", "content": str(err)}], gr.update()
        title = result.sources[0].title if result.sources else article_id
        asked = {"role": "user", "content": f"Summarize the article “{title}”."}
        return [*(history or []), asked, {"role": "assistant", "content": result.answer}], render_sources(result)

    def summarize_api(article_id: str) -> dict:
        """An extractive summary of one stored article (by article_id), cited: the Answer JSON."""
        try:
            return summarize_article(article_id, settings=settings).to_json()
        except QuestionError as err:
            raise gr.Error(str(err)) from None

    def library_view(query: str = ""):
        listing = library.list_articles(settings, query)
        table = [
            [
                r["title"],
                r["date"],
                r["source"],
                ", ".join(r["people"][:4]) + (" …" if len(r["people"]) > 4 else ""),
                r["chunks"],
                r["ingested_at"][:19].replace("T", " "),
            ]
            for r in listing["articles"]
        ]
        choices = [(f"{r['title'][:80]} · {r['date'] or 'undated'}", r["article_id"]) for r in listing["articles"]]
        return table, gr.update(choices=choices, value=[])

    def source_choices():
        return gr.update(
            choices=sorted({r["source"] for r in library.list_articles(settings)["articles"] if r["source"]})
        )

    def report_text(report) -> str:
        lines = [report.summary_line()]
        lines += [f"- failed: `{f['path']}`: {f['error']}" for f in report.failed]
        return "\n".join(lines)

    def add_articles(files: list | None, urls: str, feed: str, progress=gr.Progress()) -> dict:  # noqa: B008 (Gradio injects it)
        """Add articles: uploaded files, page URLs (one per line) and an RSS/Atom feed URL -> the ingest report."""
        uploads = [(Path(f), Path(getattr(f, "orig_name", "") or f).name) for f in files or []]
        url_list = [u.strip() for u in (urls or "").split() if u.strip()]
        feeds = [f.strip() for f in (feed or "").split() if f.strip()]
        if not (uploads or url_list or feeds):
            raise gr.Error("Nothing to add: drop files, paste page URLs or give a feed URL.")
        try:
            progress(0.1, desc="Reading files")
            report = library.ingest_uploads(settings, uploads) if uploads else None
            if url_list or feeds:
                progress(0.5, desc="Fetching pages")
                web = library.ingest_web(settings, url_list, feeds)
                report = web if report is None else report.merge(web)
        except library.WriteError as err:
            raise gr.Error(str(err)) from None
        progress(1.0, desc="Done")
        return report.to_json()

    def articles_api(query: str = "") -> dict:
        """The stored articles, newest first, optionally those matching `query`: {articles: [...], total}."""
        return library.list_articles(settings, query)

    def delete_api(article_ids: list[str]) -> dict:
        """Delete articles by article_id (their chunks and keyword entries too): {deleted, chunks, missing}."""
        try:
            return library.delete_articles(settings, article_ids)
        except library.WriteError as err:
            raise gr.Error(str(err)) from None

    def delete_chosen(chosen: list[str] | None, query: str):
        try:
            result = library.delete_articles(settings, list(chosen or []))
            message = f"Deleted {result['deleted']} article(s) ({result['chunks']} passages)."
        except library.WriteError as err:
            message = str(err)
        return (message, *library_view(query))

    def reingest_chosen(chosen: list[str] | None, query: str):
        try:
            if not chosen:
                raise library.WriteError("No articles chosen to re-ingest.")
            message = report_text(library.reingest(settings, list(chosen)))
        except library.WriteError as err:
            message = str(err)
        return (message, *library_view(query))

    writes_note = "" if settings.enable_writes else f"\n\n> {library.WRITES_OFF}"
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n{TAGLINE}")
        status = gr.Markdown(store_status(settings), elem_id="store-status")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"), gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Chat",
                        height=460,
                        elem_id="chatbot",
                        buttons=["copy"],
                        placeholder=EMPTY_STORE
                        if get_store(settings).chunk_count() == 0
                        else "Ask about the articles: who said what, where, when.",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="Ask a question…",
                            show_label=False,
                            scale=5,
                            elem_id="question",
                            autofocus=True,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-button")
                    with gr.Accordion("Filters (apply to the next question)", open=False):
                        with gr.Row():
                            since = gr.Textbox(label="Published on or after (YYYY-MM-DD)", elem_id="since")
                            until = gr.Textbox(label="Published on or before (YYYY-MM-DD)", elem_id="until")
                        source_filter = gr.Dropdown(
                            label="Only these sources", multiselect=True, choices=[], value=[], elem_id="source-filter"
                        )
                    gr.Examples(EXAMPLES, inputs=question)
                    clear = gr.Button("Clear chat", size="sm", elem_id="clear-chat")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources = gr.HTML(render_sources(None), elem_id="sources")
                    with gr.Row():
                        to_summarize = gr.Dropdown(
                            label="Summarize a source's article", choices=[], scale=4, elem_id="summary-choice"
                        )
                        summarize_button = gr.Button("Summarize", scale=1, elem_id="summarize-button")
                    last_answer = gr.State(None)

            with gr.Tab("Library", id="library"):
                with gr.Row():
                    library_query = gr.Textbox(
                        label="Search the library",
                        placeholder="title, source, url or date",
                        scale=4,
                        elem_id="library-search",
                    )
                    refresh = gr.Button("Refresh", scale=1, elem_id="library-refresh")
                library_table = gr.Dataframe(
                    headers=["title", "date", "source", "people quoted", "passages", "ingested at"],
                    interactive=False,
                    wrap=True,
                    elem_id="library-table",
                )
                chosen = gr.Dropdown(label="Choose articles", multiselect=True, choices=[], elem_id="library-chosen")
                with gr.Row():
                    delete = gr.Button(
                        "Delete chosen", variant="stop", elem_id="delete-button", interactive=settings.enable_writes
                    )
                    again = gr.Button("Re-ingest chosen", elem_id="reingest-button", interactive=settings.enable_writes)
                library_status = gr.Markdown(writes_note.strip("\n> "), elem_id="library-status")

            with gr.Tab("Add articles", id="add"):
                gr.Markdown(
                    "Drop files (.txt, .md, .html, .json, .jsonl), paste page URLs (one per line), or give an RSS/Atom "
                    f"feed URL: its new entries are fetched, those already stored are skipped. Up to "
                    f"{settings.max_upload_files} files of {settings.max_upload_mb} MB each.{writes_note}"
                )
                uploads = gr.File(
                    label="Files",
                    file_count="multiple",
                    file_types=[".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"],
                    elem_id="upload",
                )
                urls = gr.Textbox(label="Page URLs", lines=3, placeholder="https://…", elem_id="urls")
                feed = gr.Textbox(label="Feed URL (RSS or Atom)", placeholder="https://…/feed.xml", elem_id="feed")
                add = gr.Button("Add", variant="primary", elem_id="add-button", interactive=settings.enable_writes)
                add_report = gr.JSON(label="Result", elem_id="add-report")
                add_status = gr.Markdown(elem_id="add-status")

        chat_inputs = [question, chatbot, since, until, source_filter]
        chat_outputs = [chatbot, sources, question, last_answer]  # a State: not part of the /chat API
        send.click(chat, chat_inputs, chat_outputs, api_name="chat").then(
            summary_choices, last_answer, to_summarize, api_visibility="private"
        )
        question.submit(chat, chat_inputs, chat_outputs, api_visibility="private").then(
            summary_choices, last_answer, to_summarize, api_visibility="private"
        )
        summarize_button.click(summarize_in_chat, [to_summarize, chatbot], [chatbot, sources], api_visibility="private")
        clear.click(lambda: ([], render_sources(None)), None, [chatbot, sources], api_visibility="private")

        library_outputs = [library_table, chosen]
        for trigger in (library_query.submit, refresh.click):
            trigger(library_view, [library_query], library_outputs, api_visibility="private")
        delete.click(
            delete_chosen, [chosen, library_query], [library_status, *library_outputs], api_visibility="private"
        ).then(lambda: store_status(settings), None, status, api_visibility="private")
        again.click(
            reingest_chosen, [chosen, library_query], [library_status, *library_outputs], api_visibility="private"
        )
        add.click(add_articles, [uploads, urls, feed], add_report, api_name="ingest").success(
            library.summary, add_report, add_status, api_visibility="private"
        ).then(
            lambda: (store_status(settings), *library_view(), source_choices()),
            None,
            [status, *library_outputs, source_filter],
            api_visibility="private",
        )

        def on_load():
            return (store_status(settings), *library_view(), source_choices())

        demo.load(on_load, None, [status, *library_outputs, source_filter], api_visibility="private")
        gr.api(ask, api_name="ask")
        gr.api(search_api, api_name="search")
        gr.api(articles_api, api_name="articles")
        gr.api(delete_api, api_name="delete")
        gr.api(summarize_api, api_name="summarize")
    return demo


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the NewsQA app.")
    parser.add_argument("--host", help="address to listen on (QA_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (QA_PORT, default 7860)")
    parser.add_argument("--db", help="Chroma directory (QA_DB_DIR)")
    parser.add_argument(
        "--ingest",
        action="append",
        default=[],
        type=Path,
        help="ingest this file or folder (if it exists) before serving; repeatable",
    )
    parser.add_argument(
        "--enable-writes",
        action="store_true",
        default=None,
        help="allow adding and deleting articles from the app and its API (QA_ENABLE_WRITES)",
    )
    parser.add_argument(
        "--allow-public-without-auth",
        action="store_true",
        help="listen on a non-loopback address even when QA_AUTH is not set",
    )
    args = parser.parse_args(argv)

    from qa.config import settings_with

    settings = settings_with(host=args.host, port=args.port, db_dir=args.db, enable_writes=args.enable_writes)
    auth = None
    if settings.auth:
        user, sep, password = settings.auth.partition(":")
        if not sep or not user or not password:
            print("error: QA_AUTH must be user:password", file=sys.stderr)
            return 2
        auth = (user, password)
    if not is_loopback(settings.host) and auth is None and not args.allow_public_without_auth:
        print(
            f"error: refusing to listen on {settings.host} without QA_AUTH (set QA_AUTH=user:password, "
            "or pass --allow-public-without-auth)",
            file=sys.stderr,
        )
        return 2

    store = get_store(settings)
    paths = [path for path in args.ingest if path.exists()]
    if paths:
        from ingest.pipeline import ingest_paths

        report = ingest_paths(paths, store, show_progress=None)
        print(f"ingest {' '.join(map(str, paths))}: {report.summary_line()}", flush=True)
        for failure in report.failed:
            print(f"  failed: {failure['path']}: {failure['error']}", flush=True)
    _ = store.embedder  # load the model before the first question, not during it
    store.keyword_index.postings.refresh_in_background()  # BM25 arrays in memory; FTS5 answers until then

    demo = build_app(settings)
    demo.queue(default_concurrency_limit=4)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        max_file_size=f"{settings.max_upload_mb}mb",
        css=CSS,
        theme=gr.themes.Soft(),
        show_error=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
