"""The app, launched for real on a free port and called through gradio_client."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from tests.conftest import PYTHON, ROOT, free_port, run_env


def start_app(tmp: Path, *args: str, env: dict[str, str] | None = None):
    """Run app.py on a free port with its own store; returns (process, url) once it answers."""
    port = free_port()
    log_path = tmp / "app.log"
    env = run_env(QA_DB_DIR=str(tmp / "db"), QA_PORT=str(port), **(env or {}))
    process = subprocess.Popen(
        [PYTHON, "app.py", *args], cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app exited: {log_path.read_text()}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:  # the page, or the login page under QA_AUTH
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.kill()
    pytest.fail(f"app did not start: {log_path.read_text()}")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    process, url = start_app(tmp_path_factory.mktemp("app"), "--ingest", str(Path(__file__).parent / "fixtures"))
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_empty_store_says_how_to_add_articles(tmp_path):
    process, url = start_app(tmp_path)
    try:
        result = Client(url, verbose=False).predict("What did Brandt say?", api_name="/ask")
        assert result["found"] is False and "python -m ingest" in result["answer"]
        config = httpx.get(url + "config", timeout=30).text
        assert "No articles yet" in config
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_ask_endpoint_returns_the_design_json(app_url):
    result = Client(app_url, verbose=False).predict("What did Brandt say about GCI?", api_name="/ask")
    assert set(result) == {"answer", "found", "sources", "timings_ms", "backend", "note", "question"}
    assert result["backend"] == "extractive" and result["note"] == "" and result["question"] == ""
    assert result["found"] is True
    assert "Southmark is willing to align the Green Corridor Initiative" in result["answer"]
    source = result["sources"][0]
    assert source["n"] == 1 and source["date"] == "2024-02-14"
    assert {"title", "url", "source", "article_id", "chunk_id", "text", "score"} <= set(source)


def test_ask_with_filters_and_not_found(app_url):
    client = Client(app_url, verbose=False)
    result = client.predict("What did Brandt say about GCI?", 6, "", "2024-01-01", "", api_name="/ask")
    assert result["found"] is False and result["sources"] == []


def test_search_endpoint(app_url):
    results = Client(app_url, verbose=False).predict("tram repairs", api_name="/search")["results"]
    assert results[0]["rank"] == 1 and results[0]["title"] == "Tram line closed for repairs"


def test_chat_endpoint_streams_a_cited_answer(app_url):
    job = Client(app_url, verbose=False).submit(
        "What did Lena Moss say about the apple harvest?", [], "", "", api_name="/chat"
    )
    history, sources_html, box = job.result()
    reply = history[-1]
    text = reply["content"] if isinstance(reply["content"], str) else reply["content"][0]["text"]
    assert reply["role"] == "assistant" and "[1]" in text and "Grower Lena Moss said" in text
    assert "Orchard growers expect a late apple harvest" in sources_html and "<mark>" in sources_html
    assert box == ""


def _reply_text(outputs) -> str:
    content = outputs[0][-1]["content"]
    return content if isinstance(content, str) else content[0]["text"]


def test_chat_streams_sentence_by_sentence(app_url):
    job = Client(app_url, verbose=False).submit("What did Brandt say about GCI?", [], "", "", api_name="/chat")
    job.result()
    texts = [_reply_text(output) for output in job.outputs()]
    assert len(texts) >= 2  # the first sentence alone, then the whole answer with its sources
    assert texts[0].endswith("[1]") and texts[-1].startswith(texts[0]) and len(texts[-1]) > len(texts[0])
    assert "<mark>" not in job.outputs()[0][1] and "<mark>" in job.outputs()[-1][1]


def test_empty_question_is_a_clear_error(app_url):
    with pytest.raises(Exception, match="empty"):
        Client(app_url, verbose=False).predict("   ", api_name="/ask")


def test_refuses_public_address_without_auth(tmp_path):
    done = subprocess.run(
        [PYTHON, "app.py", "--host", "0.0.0.0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=run_env(QA_DB_DIR=str(tmp_path / "db")),
    )
    assert done.returncode == 2 and "QA_AUTH" in done.stderr


def test_a_follow_up_keeps_its_context_in_the_chat(app_url):
    client = Client(app_url, verbose=False)
    history, _, _ = client.predict("What did Falk say about customs?", [], "", "", api_name="/chat")
    history, sources_html, _ = client.predict("Where was she when she said it?", history, "", "", api_name="/chat")
    understood = [m for m in history if (m.get("metadata") or {}).get("title") == "Understood as"]
    assert understood and "Falk" in _text(understood[-1])
    assert "Marlow" in _text(history[-1]) and "Coastal States Forum" in sources_html


def _text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


def test_an_llm_backend_streams_through_the_chat_and_falls_back_visibly(tmp_path):
    from tests.llm_servers import FakeLLM

    fake = FakeLLM("openai")
    fake.reply = ["Falk said ", "customs waiting times ", "would be cut ", "[1]."]
    process, url = start_app(
        tmp_path,
        "--ingest",
        str(Path(__file__).parent / "fixtures"),
        env={
            "QA_LLM": "openai:fake-model",
            "OPENAI_BASE_URL": fake.url,
            "OPENAI_API_KEY": "sk-test-key-never-logged",
            "QA_LLM_TIMEOUT": "5",
        },
    )
    try:
        client = Client(url, verbose=False)
        job = client.submit("What did Falk say about customs?", [], "", "", api_name="/chat")
        job.result()
        texts = [_text(output[0][-1]) for output in job.outputs()]
        assert texts[-1] == "Falk said customs waiting times would be cut [1]."
        assert len(texts) >= 4 and all(texts[i + 1].startswith(texts[i]) for i in range(len(texts) - 1))
        assert "Coastal States Forum" in job.outputs()[-1][1] or "customs" in job.outputs()[-1][1]
        result = client.predict("What did Falk say about customs?", api_name="/ask")
        assert result["backend"] == "openai:fake-model" and [s["n"] for s in result["sources"]] == [1]

        fake.mode = "error"
        result = client.predict("What did Falk say about customs?", api_name="/ask")
        assert result["backend"] == "extractive" and "backend failed" in result["note"] and result["found"]
        history, _, _ = client.predict("What did Falk say about customs?", [], "", "", api_name="/chat")
        notes = [m for m in history if (m.get("metadata") or {}).get("title") == "Note"]
        assert notes and "backend failed" in _text(notes[0])
    finally:
        process.terminate()
        process.wait(timeout=30)
        fake.close()
    log = (tmp_path / "app.log").read_text()
    assert "backend failed" in log or "failed" in log  # the failure is logged, with its reason ...
    assert "sk-test-key-never-logged" not in log  # ... but never the key


def test_summarize_and_people_quoted(app_url):
    client = Client(app_url, verbose=False)
    listing = client.predict("", api_name="/articles")["articles"]
    summit = next(row for row in listing if "Northland" in row["title"])
    assert {"Ingrid Falk", "Oskar Brandt"} <= set(summit["people"])
    summary = client.predict(summit["article_id"], api_name="/summarize")
    assert summary["found"] and summary["answer"].startswith("Summary of “")
    assert summary["sources"] and all(s["article_id"] == summit["article_id"] for s in summary["sources"])
    assert all(quote in s["text"] for s in summary["sources"] for quote in s["quotes"])
    with pytest.raises(Exception, match="No article with id"):
        client.predict("no-such-article", api_name="/summarize")
    said = client.predict("What did Brandt say about the Green Corridor?", api_name="/ask")
    assert said["found"] and said["answer"].startswith("Oskar Brandt (2024-02-14): “")
    assert said["sources"][0]["speakers"][0] == "Oskar Brandt"


def test_store_changing_endpoints_are_off_unless_enabled(app_url):
    client = Client(app_url, verbose=False)
    listing = client.predict("", api_name="/articles")
    assert listing["total"] >= 3 and {"article_id", "title", "date", "source", "chunks", "ingested_at"} <= set(
        listing["articles"][0]
    )
    with pytest.raises(Exception, match="Adding and deleting articles is off"):
        client.predict([listing["articles"][0]["article_id"]], api_name="/delete")
    with pytest.raises(Exception, match="Adding and deleting articles is off"):
        client.predict([], "https://example.org/a", "", api_name="/ingest")
    assert client.predict("", api_name="/articles")["total"] == listing["total"]


def test_ingest_articles_and_delete_behind_auth(tmp_path):
    from gradio_client import handle_file

    note = tmp_path / "Harbour_note.md"
    note.write_text(
        "# Harbour pilots return to work\n\ndate: 2024-05-03\n\n"
        "Harbour pilots in Wexcombe returned to work on Friday after a two-day strike, the port authority said.\n"
    )
    process, url = start_app(tmp_path, "--enable-writes", env={"QA_AUTH": "editor:s3cret"})
    try:
        with pytest.raises(Exception):  # noqa: B017 (gradio_client raises its own kinds for a refused login)
            Client(url, verbose=False).predict("", api_name="/articles")
        client = Client(url, auth=("editor", "s3cret"), verbose=False)
        report = client.predict([handle_file(str(note))], "", "", api_name="/ingest")
        assert (report["added"], report["failed"]) == (1, []) and report["chunks"] >= 1

        listing = client.predict("harbour pilots", api_name="/articles")
        assert listing["total"] == 1 and listing["articles"][0]["title"] == "Harbour pilots return to work"
        assert client.predict("Who returned to work in Wexcombe?", api_name="/ask")["found"]

        article_id = listing["articles"][0]["article_id"]
        assert client.predict([article_id, "no-such-id"], api_name="/delete") == {
            "deleted": 1,
            "chunks": report["chunks"],
            "missing": ["no-such-id"],
        }
        assert client.predict("harbour pilots", api_name="/articles")["total"] == 0
        assert client.predict("Harbour pilots Wexcombe", api_name="/search")["results"] == []
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "s3cret" not in (tmp_path / "app.log").read_text()  # no secret in the log
