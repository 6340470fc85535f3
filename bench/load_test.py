"""Load test: concurrent gradio_client users asking while another process ingests (issue 7).

    .venv/bin/python bench/load_test.py ../shared/eval/rtqa-dev/articles.jsonl ../shared/eval/rtqa-dev/questions.jsonl \
        --mode embedded|server [--users 20] [--seconds 120] [--base 300] [--ingest 100]

Loopback only, bounded in users and time. The app starts on a store of `--base` articles (embedded,
or on a `chroma run` server it starts); `--users` clients then call /ask in a loop for `--seconds`,
while `python -m ingest` adds `--ingest` more articles from another process. Every request must be
answered; the ingest's chunks must all arrive. Prints one JSON line and a markdown row.
A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"nothing served {url} within {seconds} s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def store_counts(env: dict[str, str]) -> dict:
    """Articles and chunks as a fresh process sees the store."""
    code = (
        "import json; from qa.config import Settings; from qa.store import Store; s = Store(Settings()); "
        "print(json.dumps({'articles': s.article_count(), 'chunks': s.chunk_count(), "
        "'keyword_chunks': s.keyword_index.count()}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--mode", choices=["embedded", "server"], default="embedded")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--base", type=int, default=300)
    parser.add_argument("--ingest", type=int, default=100)
    args = parser.parse_args()
    if args.users > 50 or args.seconds > 600:
        raise SystemExit("bounded: at most 50 users and 600 seconds")
    from gradio_client import Client

    work = Path(tempfile.mkdtemp(prefix="newsqa-load-"))
    lines = [line for line in args.articles.read_text(encoding="utf-8").splitlines() if line.strip()]
    (work / "base.jsonl").write_text("\n".join(lines[: args.base]) + "\n", encoding="utf-8")
    (work / "more.jsonl").write_text("\n".join(lines[args.base : args.base + args.ingest]) + "\n", encoding="utf-8")
    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]

    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(PYTHONPATH=str(ROOT), QA_DB_DIR=str(work / "db"), QA_COLLECTION="load-test")
    processes: list[subprocess.Popen] = []
    try:
        if args.mode == "server":
            port = free_port()
            chroma = str(Path(sys.executable).with_name("chroma"))
            server = subprocess.Popen(
                [chroma, "run", "--path", str(work / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            processes.append(server)
            env["QA_CHROMA_URL"] = f"http://127.0.0.1:{port}"
            wait_for(f"{env['QA_CHROMA_URL']}/api/v2/heartbeat", server)
        subprocess.run([sys.executable, "-m", "ingest", str(work / "base.jsonl")], cwd=ROOT, env=env, check=True)
        before = store_counts(env)

        app_port = free_port()
        app = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env={**env, "QA_PORT": str(app_port)},
            stdout=(work / "app.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(app)
        url = f"http://127.0.0.1:{app_port}/"
        wait_for(url, app)

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def user(number: int) -> None:
            rng = random.Random(number)
            client = Client(url, verbose=False)
            while time.monotonic() < stop_at:
                question = rng.choice(questions)
                started = time.perf_counter()
                try:
                    reply = client.predict(question, api_name="/ask")
                    if not isinstance(reply, dict) or "answer" not in reply:
                        raise ValueError(f"no answer in {str(reply)[:200]}")
                    with lock:
                        latencies.append((time.perf_counter() - started) * 1000)
                except Exception as err:  # every failure counts; the run goes on
                    with lock:
                        errors.append(f"{type(err).__name__}: {err}"[:300])

        users = [threading.Thread(target=user, args=(n,)) for n in range(args.users)]
        started = time.monotonic()
        for thread in users:
            thread.start()
        time.sleep(min(10, args.seconds / 4))
        ingest = subprocess.run(
            [sys.executable, "-m", "ingest", str(work / "more.jsonl"), "--json"],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        ingest_report = json.loads(ingest.stdout) if ingest.stdout.strip() else {"error": ingest.stderr[-500:]}
        for thread in users:
            thread.join()
        elapsed = time.monotonic() - started
        after = store_counts(env)
        seen = Client(url, verbose=False).predict("", api_name="/articles")
        result = {
            "mode": args.mode,
            "users": args.users,
            "seconds": round(elapsed, 1),
            "requests": len(latencies) + len(errors),
            "errors": len(errors),
            "first_errors": errors[:3],
            "p50_ms": round(statistics.median(latencies)) if latencies else None,
            "p95_ms": round(percentile(latencies, 0.95)) if latencies else None,
            "per_second": round(len(latencies) / elapsed, 2),
            "ingested": {k: ingest_report.get(k) for k in ("added", "chunks", "failed", "error") if k in ingest_report},
            "articles_before_after": [before["articles"], after["articles"]],
            "chunks_before_after": [before["chunks"], after["chunks"]],
            "nothing_lost": after["chunks"] == before["chunks"] + int(ingest_report.get("chunks", -1))
            and after["keyword_chunks"] == after["chunks"],
            "app_sees_all_articles": seen.get("total") == after["articles"],
        }
        print(json.dumps(result))
        print(
            f"| {args.mode} | {args.users} | {result['seconds']} s | {result['requests']} | {result['errors']} | "
            f"{result['p50_ms']} / {result['p95_ms']} ms | {result['per_second']} | "
            f"{ingest_report.get('added')} articles, {ingest_report.get('chunks')} chunks | "
            f"{'yes' if result['nothing_lost'] and result['app_sees_all_articles'] else 'NO'} |"
        )
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
