"""Document embedding in a child process, for bulk ingest: the writes of one batch overlap the
embedding of the next.

A thread cannot do this. Chroma's upsert holds the GIL for its whole call, about 1 ms a chunk, and
while it runs the embedder cannot get the GIL to hand OpenVINO its next batch. A child process has
its own GIL, so its inference never waits for our writes.

The child is started with `python -m qa.embedding_worker`, not multiprocessing: spawn would import
the parent's main module again (all of Gradio, for the app), and fork is unsafe in a process with
threads. Requests and replies are pickled frames over its stdin and stdout.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import BinaryIO

import numpy as np
from langchain_core.embeddings import Embeddings


class InlineEmbedding:
    """Embeds in this process when asked for the result: small ingests, and embedders handed in."""

    def __init__(self, embedder: Embeddings) -> None:
        self._embedder = embedder
        self._waiting: deque[list[str]] = deque()

    def submit(self, texts: list[str]) -> None:
        self._waiting.append(texts)

    def result(self) -> list[list[float]]:
        return self._embedder.embed_documents(self._waiting.popleft())

    def close(self) -> None:
        self._waiting.clear()


class EmbeddingWorker:
    """The configured embedder in a child process. `submit` texts, then take each `result` in order;
    the child embeds a batch while this process writes the one before."""

    def __init__(self, model: str, backend: str) -> None:
        env = dict(os.environ)
        project = str(Path(__file__).resolve().parent.parent)  # `qa` importable from any working folder
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [project, env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "qa.embedding_worker", model, backend],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def submit(self, texts: list[str]) -> None:
        try:
            pickle.dump(texts, self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._process.stdin.flush()
        except (BrokenPipeError, OSError) as err:
            raise RuntimeError(f"the embedding worker stopped (exit code {self._process.poll()})") from err

    def result(self) -> list[list[float]]:
        try:
            kind, payload = pickle.load(self._process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError) as err:
            raise RuntimeError(f"the embedding worker stopped (exit code {self._process.poll()})") from err
        if kind == "error":
            raise RuntimeError(f"the embedding worker failed: {payload}")
        return payload.tolist()

    def close(self) -> None:
        try:
            self._process.stdin.close()  # end of input: the child returns
            self._process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()


def _read_requests(source: BinaryIO, requests: queue.Queue) -> None:
    """Always drain our stdin, so a parent writing its next batch never waits on us writing a reply."""
    while True:
        try:
            requests.put(pickle.load(source))
        except (EOFError, OSError, pickle.UnpicklingError):
            requests.put(None)
            return


def serve(model: str, backend: str) -> None:
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a library's print must not break the frames
    requests: queue.Queue = queue.Queue()
    threading.Thread(target=_read_requests, args=(sys.stdin.buffer, requests), daemon=True).start()

    from qa.embeddings import get_embedder

    try:
        embedder = get_embedder(model, backend, queries=False)
    except Exception as err:  # a bad model path or backend: said once, to the first request
        embedder, failure = None, f"{type(err).__name__}: {err}"
    while (texts := requests.get()) is not None:
        if embedder is None:
            reply = ("error", failure)
        else:
            try:
                reply = ("vectors", np.asarray(embedder.embed_documents(texts), dtype=np.float32))
            except Exception as err:
                reply = ("error", f"{type(err).__name__}: {err}")
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
