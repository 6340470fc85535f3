"""App cold start: seconds from `python app.py` to a served page and to a first answer, and the app's
peak RSS (VmHWM) after 16 questions.

    .venv/bin/python bench/cold_start.py --db /tmp/rtqa-db

A benchmark, not a test; loopback only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import httpx
from gradio_client import Client

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["What did Biden say about student loans?", "Which team won the Stanley Cup?", "Who tested positive?"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=7871)
    args = parser.parse_args()
    env = {"QA_DB_DIR": args.db, "QA_PORT": str(args.port), "PATH": "/usr/bin:/bin"}
    started = time.perf_counter()
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{args.port}/"
    try:
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if app.poll() is not None:
                raise SystemExit("the app exited")
            time.sleep(0.1)
        page_s = time.perf_counter() - started
        client = Client(url, verbose=False)
        client.predict("Which country elected its first-ever leftist leader?", api_name="/ask")
        answer_s = time.perf_counter() - started
        for question in QUESTIONS * 5:
            client.predict(question, api_name="/ask")
        status = Path(f"/proc/{app.pid}/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
        print(f"served page {page_s:.1f} s, first answer {answer_s:.1f} s, peak RSS {peak_kb / 1024:.0f} MB")
    finally:
        app.terminate()
        app.wait()


if __name__ == "__main__":
    main()
