"""Shared fixtures: a real Chroma store in a temp dir and the real packaged embedding model."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embeddings import get_embedder
from qa.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def embedder():
    return get_embedder("")


@pytest.fixture(scope="session")
def chroma_server_url(tmp_path_factory) -> Iterator[str]:
    """A real Chroma server (`chroma run`, from the chromadb package): the one .ci/run started
    (NEWSQA_TEST_CHROMA_URL), else one started here for the session."""
    given = os.environ.get("NEWSQA_TEST_CHROMA_URL")
    if given:
        yield given
        return
    port = free_port()
    command = [str(Path(sys.executable).with_name("chroma")), "run", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--path", str(tmp_path_factory.mktemp("chroma-server"))]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/api/v2/heartbeat", process=server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for(url: str, *, process: subprocess.Popen | None = None, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before serving {url}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"nothing served {url} within {seconds} s")


def pytest_generate_tests(metafunc) -> None:
    """A module with BOTH_STORE_MODES = True runs each test that uses the store in both modes."""
    if "store_mode" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_STORE_MODES", False):
        metafunc.parametrize("store_mode", ["embedded", "server"], indirect=True)


@pytest.fixture
def store_mode(request) -> str:
    return getattr(request, "param", "embedded")


@pytest.fixture
def settings(tmp_path: Path, store_mode: str, request) -> Settings:
    if store_mode == "server":
        # A collection of its own on the shared server; the keyword index stays under tmp_path.
        url = request.getfixturevalue("chroma_server_url")
        name = f"test-{uuid.uuid4().hex[:12]}"
        return Settings(db_dir=tmp_path / "chroma", collection=name, chroma_url=url, llm="extractive")
    return Settings(db_dir=tmp_path / "chroma", collection="test-articles", chroma_url=None, llm="extractive")


@pytest.fixture
def store(settings: Settings, embedder) -> Store:
    return Store(settings, embedder=embedder)


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture articles."""
    target = tmp_path / "articles"
    shutil.copytree(FIXTURES, target)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(extra)
    env["PYTHONPATH"] = str(ROOT)
    return env


PYTHON = sys.executable


def cli(*args: str, env: dict[str, str], check: bool = False) -> subprocess.CompletedProcess:
    """Run `python -m ...` from the repo root as a user would; output captured as text."""
    return subprocess.run([PYTHON, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=check)
