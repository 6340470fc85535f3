"""Shared fixtures: a real Chroma store in a temp dir and the real packaged embedding model."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
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
