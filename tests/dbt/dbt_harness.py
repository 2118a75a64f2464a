"""Run the real dbt project against a throwaway DuckDB warehouse built from fixture rows.

dbt runs as a subprocess (the venv's `dbt` executable), exactly as Dagster's `DbtCliResource`
runs it, with JOURNEYS_WAREHOUSE pointing at the test's file. Its target and log directories
live under the test's tmp directory so that a test run never touches dbt_project/target, the
manifest Dagster loads.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from orchestration.journey_map import JourneyMap, load_journey_map
from orchestration.warehouse import ensure_raw_tables

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
INGESTED_AT = datetime(2027, 1, 5, 6, 0)

EVALUATORS = {
    "resolution": "conversation_resolution",
    "quality": "customer_agent_conversation_quality",
    "context_retention": "customer_agent_context_retention",
}

# A verdict as the evaluator writes it: (score, passed, status).
Verdict = tuple[float | None, bool | None, str]


@dataclass
class Conversation:
    """One fixture conversation and its verdicts; `says` are the customer's turns and
    `agent_says` the agent's, interleaved customer first."""

    conversation_id: str
    journey_id: str | None
    stage: str | None
    channel: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None = None
    journey_name: str = "streaming_onboarding"
    customer_id: str | None = None
    segment: str | None = None
    consent: str | None = None
    agent_type: str = "ai"
    says: tuple[str, ...] = ("Hi, I need some help.",)
    agent_says: tuple[str, ...] = ("Happy to help.",)
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        turns = []
        for index in range(max(len(self.says), len(self.agent_says))):
            for role, lines in (("customer", self.says), ("agent", self.agent_says)):
                if index < len(lines):
                    turns.append({"role": role, "text": lines[index], "ts": self.started_at})
        return {
            "conversation_id": self.conversation_id,
            "journey_id": self.journey_id,
            "customer_id": self.customer_id or (f"cust-{self.journey_id}" if self.journey_id else None),
            "journey_name": self.journey_name,
            "stage": self.stage,
            "channel": self.channel,
            "agent_type": self.agent_type,
            "segment": self.segment,
            "consent": self.consent,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "outcome": self.outcome,
            "turns": turns,
            "turn_count": len(turns),
            "span_count": 1,
            "partition_date": self.started_at.date(),
            "ingested_at": INGESTED_AT,
        }

    def evaluation_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "conversation_id": self.conversation_id,
                "evaluator": EVALUATORS[prefix],
                "score": score,
                "passed": passed,
                "status": status,
                "reason": f"{prefix} verdict for {self.conversation_id}",
                "evidence": json.dumps([{"turn": 0, "quote": self.says[0]}]),
                "engine": "local",
                "rubric_version": "test",
                "latency_ms": 1.0,
                "evaluated_at": INGESTED_AT,
                "partition_date": self.started_at.date(),
            }
            for prefix, (score, passed, status) in self.verdicts.items()
        ]


@dataclass(frozen=True)
class CsatAnswer:
    event_id: str
    journey_id: str
    score: int
    recorded_at: datetime | None
    journey_name: str = "streaming_onboarding"

    def row(self) -> dict[str, Any]:
        day = (self.recorded_at or INGESTED_AT).date()
        return {
            "event_id": self.event_id,
            "event_type": "csat",
            "journey_id": self.journey_id,
            "customer_id": f"cust-{self.journey_id}",
            "journey_name": self.journey_name,
            "csat_score": self.score,
            "recorded_at": self.recorded_at,
            "partition_date": day,
            "ingested_at": INGESTED_AT,
        }


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        con.register("_fixture_rows", pa.Table.from_pylist(rows))
        con.execute(f"insert into raw.{table} by name select * from _fixture_rows")
        con.unregister("_fixture_rows")


class DbtWarehouse:
    """A DuckDB warehouse file plus the means to run dbt on it and read the result."""

    def __init__(self, path: Path, work_dir: Path) -> None:
        self.path = path
        self.work_dir = work_dir

    @classmethod
    def create(
        cls,
        directory: Path,
        conversations: list[Conversation],
        csat_answers: list[CsatAnswer],
        journey_map: JourneyMap | None = None,
    ) -> DbtWarehouse:
        directory.mkdir(parents=True, exist_ok=True)
        warehouse = cls(directory / "warehouse.duckdb", directory)
        journey_map = journey_map or load_journey_map(REPO_ROOT / "journey_map.yaml")
        with duckdb.connect(str(warehouse.path)) as con:
            ensure_raw_tables(con)
            _insert(con, "journey_map_stages", journey_map.stage_rows())
            _insert(con, "journey_map_channels", journey_map.channel_rows())
            _insert(con, "conversations", [c.row() for c in conversations])
            _insert(con, "evaluations", [r for c in conversations for r in c.evaluation_rows()])
            _insert(con, "journey_events", [a.row() for a in csat_answers])
        return warehouse

    def copy(self, directory: Path) -> DbtWarehouse:
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, directory / self.path.name)
        return DbtWarehouse(directory / self.path.name, directory)

    def dbt(
        self, *args: str, dbt_vars: dict[str, Any] | None = None, expect_success: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `dbt <args>` on this warehouse; fail the test with dbt's output unless it
        ends as expected."""
        command = [
            str(DBT_EXECUTABLE),
            *args,
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(self.work_dir / "target"),
            "--log-path",
            str(self.work_dir / "logs"),
        ]
        if dbt_vars:
            command += ["--vars", json.dumps(dbt_vars)]
        env = {**os.environ, "JOURNEYS_WAREHOUSE": str(self.path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        if (result.returncode == 0) != expect_success:
            raise AssertionError(
                f"dbt {' '.join(args)} exited {result.returncode}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
            )
        return result

    def records(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            cursor = con.execute(sql, params or [])
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        with duckdb.connect(str(self.path)) as con:
            con.execute(sql, params or [])

    def table(self, name: str, order_by: str) -> list[dict[str, Any]]:
        return self.records(f"select * from {name} order by {order_by}")


def by_key(rows: list[dict[str, Any]], *key: str) -> dict[tuple, dict[str, Any]]:
    """Rows indexed by the values of their grain columns."""
    return {tuple(row[k] for k in key): row for row in rows}


def assert_columns(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """The row has the expected value in each expected column (floats to 1e-9)."""
    for column, value in expected.items():
        if isinstance(value, float):
            assert actual[column] == pytest.approx(value, rel=1e-9, abs=1e-9), column
        else:
            assert actual[column] == value, column
