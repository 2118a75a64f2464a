"""The planted personal data after a whole materialization: the day's Dagster job (ingest, gates,
the `llm` engine against the loopback judge, dbt, the serving snapshot), then the dashboard's
pages. No planted email, region-valid phone number, Luhn-valid card number or valid IBAN is in any
warehouse table, snapshot file, judge request, judge cache row, page or Dagster event; every
checksum-invalid number is still there, wherever the transcript goes."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from app_runner import run_app
from ingest_builders import DAY, write_lines
from judge_server import JudgeServer
from planted_pii import BAD_LINE, CONVERSATIONS, kept, leaks, planted_conversations
from platform_settings import platform_settings
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow

PAGES = ["overview", "stages", "channel_mix", "compliance", "routing"]


@dataclass(frozen=True)
class Materialized:
    data: Path
    judge: JudgeServer
    run_events: list[str]
    failures: list[str]


@pytest.fixture(scope="module")
def materialized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Materialized]:
    """The planted landing file through the `daily_journeys` job, the judge on loopback."""
    from orchestration.dagster_home import ensure_dagster_home
    from orchestration.definitions import build_definitions
    from orchestration.settings import Settings

    judge = JudgeServer()
    with platform_settings(tmp_path_factory.mktemp("data")) as data, pytest.MonkeyPatch.context() as mp:
        mp.setenv("JOURNEYS_EVAL_ENGINE", "llm")
        mp.setenv("OPENAI_BASE_URL", judge.base_url)
        mp.setenv("OPENAI_API_KEY", "test-key")
        mp.setenv("JOURNEYS_JUDGE_MODEL", "test-judge")
        write_lines(data / "landing" / "planted.jsonl", [*planted_conversations(), BAD_LINE])
        settings = Settings.from_env()
        ensure_dagster_home(settings)
        job = build_definitions(settings).resolve_job_def("daily_journeys")
        instance = dg.DagsterInstance.get()
        result = job.execute_in_process(partition_key=DAY.isoformat(), instance=instance, raise_on_error=False)
        events = [str(record) for record in instance.all_logs(result.run_id)]
        # Each place is read back even when the run fails (a leak fails the dbt leak check).
        yield Materialized(data, judge, events, [str(e.message) for e in result.all_events if e.is_failure])
    judge.stop()


def _records_text(cursor: Any) -> str:
    names = [d[0] for d in cursor.description]
    return json.dumps([dict(zip(names, row)) for row in cursor.fetchall()], default=str, ensure_ascii=False)


def _warehouse_text(warehouse: Path) -> str:
    """Every column of every table and view, in every schema."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables order by all"
        ).fetchall()
        assert {schema for schema, _ in tables} >= {"raw", "staging", "marts"}
        return "\n".join(_records_text(con.execute(f'select * from "{s}"."{t}"')) for s, t in tables)


def _serving_text(serving: Path) -> str:
    """Every file under the serving directory: each Parquet file's every column, the rest as text."""
    files = sorted(p for p in serving.rglob("*") if p.is_file())
    parquet = [p for p in files if p.suffix == ".parquet"]
    assert parquet and {"manifest.json", "routing_signals.json"} <= {p.name for p in files}
    with duckdb.connect() as con:
        return "\n".join(
            _records_text(con.execute("select * from read_parquet(?)", [str(p)]))
            if p.suffix == ".parquet"
            else p.read_text()
            for p in files
        )


def _judge_cache_text(cache: Path) -> str:
    """Every column of every table of the judge's SQLite cache."""
    with sqlite3.connect(cache) as con:
        tables = [name for (name,) in con.execute("select name from sqlite_master where type = 'table'")]
        text = "\n".join(_records_text(con.execute(f'select * from "{t}"')) for t in tables)
    assert '"reply"' in text  # verdicts were cached
    return text


def _page_text(at: AppTest) -> str:
    """Everything the page shows: every element's message, tables as their rows."""
    assert not at.exception, [e.value for e in at.exception]
    shown: list[str] = []
    nodes: list[Any] = [at._tree]
    while nodes:
        node = nodes.pop()
        nodes.extend(getattr(node, "children", {}).values())
        if getattr(node, "type", None) == "arrow_data_frame":
            shown.append(node.value.to_json(force_ascii=False))
        elif hasattr(node, "proto"):
            shown.append(str(node.proto))
    # Text is Markdown-escaped (`jamie\\.doe`), then escaped again in the proto's text format.
    return re.sub(r"\\+([!-/:-@\[-`{-~])", r"\1", "\n".join(shown))


def test_the_day_is_materialized_and_published(materialized: Materialized) -> None:
    assert materialized.failures == []


def test_no_warehouse_table_holds_a_planted_value(materialized: Materialized) -> None:
    stored = _warehouse_text(materialized.data / "warehouse.duckdb")
    assert leaks(stored) == []
    assert len(kept(stored)) == 3


def test_no_snapshot_file_holds_a_planted_value(materialized: Materialized) -> None:
    published = _serving_text(materialized.data / "serving")
    assert leaks(published) == []
    assert len(kept(published)) == 3  # the transcripts are published, redacted


def test_no_judge_request_and_no_cached_verdict_holds_a_planted_value(materialized: Materialized) -> None:
    sent = json.dumps(materialized.judge.requests, ensure_ascii=False)
    assert materialized.judge.requests
    assert leaks(sent) == []
    assert len(kept(sent)) == 3  # the judge read the transcripts, redacted
    assert leaks(_judge_cache_text(materialized.data / "llm_judge_cache.sqlite")) == []


def test_no_dagster_event_of_the_run_holds_a_planted_value(materialized: Materialized) -> None:
    assert materialized.run_events
    assert leaks("\n".join(materialized.run_events)) == []


def test_no_page_shows_a_planted_value(materialized: Materialized, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYS_SERVING_DIR", str(materialized.data / "serving"))
    shown = [_page_text(run_app(page)) for page in PAGES]
    # The Conversations page opened on each planted conversation's transcript.
    transcripts = [_page_text(run_app("conversations", conversation=cid)) for cid in CONVERSATIONS]
    for text in transcripts:
        assert len(kept(text)) == 3  # the transcript is on the page, redacted
    assert leaks("\n".join(shown + transcripts)) == []
