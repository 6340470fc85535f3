"""One real model end to end: the tiny gemma-3-270m GGUF (a base model: the path is tested, not
the quality of its answers) through `llamacpp:` in process and through llama-cpp-python's own
OpenAI-compatible server with `openai:`. Needs the `llamacpp` extra; .ci/run installs it and sets
NEWSQA_REQUIRE_LLAMACPP=1, so there they run or fail, never skip."""

from __future__ import annotations

import os
import subprocess
import time

import httpx
import pytest

from ingest.pipeline import ingest_paths
from qa.chain import stream_answer
from tests.conftest import PYTHON, ROOT, free_port, run_env

try:
    import llama_cpp  # noqa: F401

    from qa.llm import packaged_gguf

    GGUF = packaged_gguf()
except Exception as err:  # the extra is not installed
    if os.environ.get("NEWSQA_REQUIRE_LLAMACPP"):
        raise
    pytest.skip(f"the llamacpp extra is not installed ({err})", allow_module_level=True)


@pytest.fixture
def filled(store, articles_dir):
    ingest_paths([articles_dir], store, show_progress=False)
    return store


def streamed(settings, store) -> tuple[list[str], object]:
    pieces, final = [], None
    for item in stream_answer("What did Falk say about customs?", settings=settings, store=store):
        if isinstance(item, str):
            pieces.append(item)
        else:
            final = item
    return pieces, final


def assert_streamed_answer(pieces: list[str], final, backend: str) -> None:
    assert final.backend == backend, final.note  # no fallback: the model itself answered
    assert len(pieces) >= 2 and all(pieces[i + 1].startswith(pieces[i]) for i in range(len(pieces) - 1))
    if final.found:
        assert final.sources  # cited passages, or all of them with a note when it cites none


def test_gguf_in_process_streams_an_answer(filled, settings):
    llm_settings = settings.model_copy(
        update={"llm": f"llamacpp:{GGUF}", "llm_max_tokens": 48, "llm_temperature": 0.0, "llm_context_tokens": 2048}
    )
    pieces, final = streamed(llm_settings, filled)
    assert_streamed_answer(pieces, final, f"llamacpp:{GGUF}")


def test_gguf_through_llama_cpp_server_and_the_openai_backend(filled, settings, monkeypatch, tmp_path):
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [PYTHON, "-m", "llama_cpp.server", "--model", str(GGUF), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "2048", "--model_alias", "gemma"],
        cwd=ROOT, env=run_env(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.time() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(1)
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        llm_settings = settings.model_copy(
            update={"llm": "openai:gemma", "llm_max_tokens": 48, "llm_temperature": 0.0, "llm_context_tokens": 2048}
        )
        pieces, final = streamed(llm_settings, filled)
        assert_streamed_answer(pieces, final, "openai:gemma")
    finally:
        server.terminate()
        server.wait(timeout=30)
