"""Eval metrics on hand-computed cases, and `qa eval` end to end on a tiny store."""

from __future__ import annotations

import json
from pathlib import Path

from qa.eval import EvalResult, answer_is_accurate, first_hit_rank, multihop_metrics
from tests.conftest import ROOT, cli, run_env


def test_metrics_by_hand():
    result = EvalResult(
        ranks=[1, 3, None, 10],
        accurate=[True, False, False, True],
        not_found=[False, False, True, False],
        latencies_ms=[10, 20, 30, 40],
    )
    metrics = result.to_json()
    assert metrics["n"] == 4
    assert metrics["hits@1"] == 0.25 and metrics["hits@4"] == 0.5 and metrics["hits@10"] == 0.75
    assert metrics["mrr@10"] == round((1 + 1 / 3 + 1 / 10) / 4, 4)
    assert metrics["answer_accuracy"] == 0.5 and metrics["not_found_rate"] == 0.25
    assert metrics["latency_ms"]["p50"] == 25.0


def test_first_hit_rank_ignores_scheme_www_and_slash():
    urls = ["https://a.org/x", "http://www.b.org/story/", "https://c.org/y"]
    assert first_hit_rank(urls, ["https://b.org/story"]) == 2
    assert first_hit_rank(urls, ["https://d.org"]) is None


def test_answer_accuracy_needs_gold_and_no_other_choice():
    choices = ["“Squid Game”", "Friends", "Breaking Bad"]
    assert answer_is_accurate("Netflix renewed Squid Game for a second season.", choices, ["“Squid Game”"])
    assert not answer_is_accurate("Squid Game beat Breaking Bad.", choices, ["“Squid Game”"])
    assert not answer_is_accurate("The articles don't say.", choices, ["“Squid Game”"])
    assert not answer_is_accurate("They are friendsly.", choices, ["Friends"])  # whole words only


def test_qa_eval_cli(tmp_path: Path, articles_dir: Path):
    env = run_env(QA_DB_DIR=str(tmp_path / "db"))
    cli("-m", "ingest", str(articles_dir), env=env, check=True)
    questions = tmp_path / "q.jsonl"
    rows = [
        {
            "question": "Which city opened a new swimming pool?",
            "date": "2024/07/05",
            "choices": ["Westgate", "Eastgate"],
            "answers": ["Westgate"],
            "gold_urls": ["https://example.org/pool"],
        },
        # Asked before the pool article was published: it must not be found.
        {
            "question": "Which district has the new swimming pool?",
            "date": "2024/06/01",
            "choices": ["Westgate"],
            "answers": ["Westgate"],
            "gold_urls": ["https://example.org/pool"],
        },
    ]
    questions.write_text("\n".join(json.dumps(r) for r in rows))
    done = cli("-m", "qa", "eval", str(questions), "--json", env=env)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["n"] == 2
    assert metrics["hits@1"] == 0.5 and metrics["hits@10"] == 0.5
    assert metrics["answer_accuracy"] == 0.5 and metrics["not_found_rate"] == 0.5


def test_multihop_metrics_by_hand():
    retrieved = [
        ["noise", "fact one is here", "noise", "and fact two", *["x"] * 6],  # facts at ranks 2 and 4
        ["nothing", "relevant"],
    ]
    gold = [["fact one", "fact two"], ["missing fact"]]
    metrics = multihop_metrics(retrieved, gold)
    assert metrics["n"] == 2
    assert metrics["hits@10"] == 0.5 and metrics["hits@4"] == 0.5
    assert metrics["mrr@10"] == round((1 / 2) / 2, 4)
    assert metrics["map@10"] == round(((1 / 2 + 1 / 4) / 2) / 2, 4)
    # Spaces and newlines do not count: a fact split across lines still matches.
    assert multihop_metrics([["factone\n is"]], [["fact one is"]])["hits@4"] == 1.0


def test_multihop_rag_format_end_to_end(tmp_path: Path):
    data = ROOT / "tests/data/multihop"
    env = run_env(QA_DB_DIR=str(tmp_path / "db"))
    ingested = cli("-m", "ingest", str(data / "corpus.json"), "--json", env=env)
    assert json.loads(ingested.stdout)["added"] == 3, ingested.stderr
    done = cli("-m", "qa", "eval", str(data / "MultiHopRAG.json"), "--format", "multihop-rag", "--json", env=env)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["n"] == 2  # the null query is left out
    assert metrics["hits@4"] == 1.0 and metrics["hits@10"] == 1.0
    assert 0.5 < metrics["map@10"] <= 1.0 and metrics["mrr@10"] == 1.0
