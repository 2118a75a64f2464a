"""Score one daily partition of `raw.conversations` with the `evals` library into `raw.evaluations`.

Context retention needs the customer's earlier context: for each conversation, the transcripts
of the same journey's conversations that ended before it started, from any partition (so the
first conversation of a stage is judged against the previous stages even when they happened on
earlier days).

Re-running replaces exactly the rows it is responsible for: the partition's rows of the selected
evaluators and, when a cohort (`cohort_week`, the ISO week of the journey's first conversation)
or a `segment` is given, only the rows of that cohort's conversations, as the marts show them. That is what "re-score
one cohort after switching engine" needs.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import fmean
from typing import Any

import duckdb
import pyarrow as pa

from evals import (
    BatchItem,
    BatchResult,
    EngineStats,
    EvalResult,
    JudgeConfig,
    evaluate_batch,
)
from evals.scorer import resolve_names
from evals.types import NOT_APPLICABLE
from orchestration.ingest.consent import CONSENT_DEFAULTS
from orchestration.ingest.decode_pool import usable_cores
from orchestration.raw_tables import EVALUATIONS, RAW_SCHEMA
from orchestration.serving import MARTS_SCHEMA
from orchestration.settings import Settings
from orchestration.warehouse import replace_partition

# The local engine is pure Python: one core scores about 2,000 conversations a second, and a
# worker process takes about a second to start (importing evals). Below this many conversations
# a day is scored in this process.
PARALLEL_MIN_CONVERSATIONS = 2000
# A day is scored a chunk of journeys at a time, so the run's process holds one chunk's
# transcripts and verdicts as Python objects rather than the whole day's: a 100k-conversation day
# held whole took 2.4 GB there. A journey is never split across chunks, so the evaluators'
# transcript cache still serves its later conversations.
CHUNK_CONVERSATIONS = 10_000
# raw.evaluations.reason of a conversation whose customer declined AI evaluation.
CONSENT_REASON = "consent"
_ISO_WEEK = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")

@dataclass
class ScoringReport:
    """What one `score_partition` run did, for logs and Dagster materialization metadata."""

    day: date
    engine: str
    evaluators: tuple[str, ...]
    cohort_week: str | None
    segment: str | None
    conversations: int = 0
    declined_consent: int = 0  # of `conversations`, customers who declined AI evaluation
    # of `conversations`, not re-scored: transcript removed for recording consent (evaluations kept)
    transcripts_not_kept: int = 0
    rows_written: int = 0
    status_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    mean_scores: dict[str, float | None] = field(default_factory=dict)
    scored: dict[str, int] = field(default_factory=dict)  # results with a score, behind each mean
    stats: EngineStats = field(default_factory=EngineStats)
    last_day: date | None = None  # set on a report combining a range of days

    @classmethod
    def combined(cls, reports: Sequence[ScoringReport]) -> ScoringReport:
        """The reports of consecutive days as one, for a run that scored a range.

        Dagster records a single-run backfill's metadata on every partition of the range (it has
        no way to attach each day its own), so the figures there must be the range's: sums, and
        means weighted by the scores behind them rather than a mean of daily means."""
        first = reports[0]
        total = cls(first.day, first.engine, first.evaluators, first.cohort_week, first.segment)
        total.last_day = reports[-1].last_day or reports[-1].day
        for report in reports:
            total.conversations += report.conversations
            total.declined_consent += report.declined_consent
            total.transcripts_not_kept += report.transcripts_not_kept
            total.rows_written += report.rows_written
            total.stats.merge(report.stats)
        for name in first.evaluators:
            counts: Counter[str] = Counter()
            for report in reports:
                counts.update(report.status_counts.get(name, {}))
            total.status_counts[name] = dict(counts)
            weighted = [
                (r.mean_scores[name], r.scored.get(name, 0)) for r in reports if r.mean_scores.get(name) is not None
            ]
            total.scored[name] = sum(n for _, n in weighted)
            total.mean_scores[name] = (
                sum(mean * n for mean, n in weighted) / total.scored[name] if total.scored[name] else None
            )
        return total

    @property
    def partitions(self) -> str:
        """The day, or the range `first..last` of a combined report."""
        if self.last_day is None or self.last_day == self.day:
            return self.day.isoformat()
        return f"{self.day.isoformat()}..{self.last_day.isoformat()}"

    def to_metadata(self) -> dict[str, Any]:
        """Flat, JSON-serialisable values (one key per figure reads well in the Dagster UI)."""
        metadata: dict[str, Any] = {
            "partition": self.partitions,
            "engine": self.engine,
            "conversations": self.conversations,
            "declined_consent": self.declined_consent,
            "transcripts_not_kept": self.transcripts_not_kept,
            "rows_written": self.rows_written,
            "scope": self._scope(),
        }
        for name in self.evaluators:
            for status, count in sorted(self.status_counts.get(name, {}).items()):
                metadata[f"{name}.{status}"] = count
            mean = self.mean_scores.get(name)
            metadata[f"{name}.mean_score"] = None if mean is None else round(mean, 4)
        if self.engine != "local":
            stats = self.stats
            metadata.update(
                {
                    "judge.calls": stats.calls,
                    "judge.cache_hits": stats.cache_hits,
                    "judge.failed_calls": stats.failed_calls,
                    "judge.failure_rate": round(stats.failure_rate, 4),
                    "judge.prompt_tokens": stats.prompt_tokens,
                    "judge.completion_tokens": stats.completion_tokens,
                    "judge.total_tokens": stats.total_tokens,
                    "judge.share_sent": round(stats.judged_share, 4),
                }
            )
        return metadata

    def _scope(self) -> str:
        parts = [
            f"cohort {self.cohort_week}" if self.cohort_week else "",
            f"segment {self.segment}" if self.segment else "",
        ]
        return ", ".join(p for p in parts if p) or "whole partition"

    def summary(self) -> str:
        lines = [
            (
                f"{self.partitions} [{self.engine}, {self._scope()}]: {self.conversations:,} conversations, "
                f"{self.rows_written:,} evaluation rows"
            )
        ]
        for name in self.evaluators:
            counts = ", ".join(f"{s} {n:,}" for s, n in sorted(self.status_counts.get(name, {}).items()))
            mean = self.mean_scores.get(name)
            lines.append(f"  {name}: mean {'n/a' if mean is None else f'{mean:.3f}'} ({counts or 'no rows'})")
        if self.engine != "local":
            s = self.stats
            lines.append(
                f"  judge: {s.calls:,} calls, {s.cache_hits:,} cache hits, {s.failed_calls:,} failed "
                f"({s.failure_rate:.1%}), {s.total_tokens:,} tokens, {s.judged_share:.1%} of results "
                "decided by the judge"
            )
        return "\n".join(lines)


def judge_failure_rates(reports: Sequence[ScoringReport]) -> dict[str, float]:
    """Each day's judge failure rate, failed calls / calls (0 for a day that made no call), unrounded:
    the check compares these with the setting, and a rounded 0.05 may be a rate above 0.05."""
    return {report.partitions: report.stats.failure_rate for report in reports}


def judge_config(engine: str, cache_path: Path) -> JudgeConfig | None:
    """How to reach the judge for `engine` (None for the local engine, which calls none): the
    evaluator library's configuration, with the verdict cache at the platform's `cache_path`
    (`Settings.llm_cache`)."""
    if engine == "local":
        return None
    return JudgeConfig.from_env(cache_path=cache_path)


def _records(
    con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    cursor = con.execute(query, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _cohort_query(columns: str, day: date | None, cohort_week: str | None, segment: str | None) -> tuple[str, list]:
    """Conversations (of one day, or all) in the cohort as the marts show it: the conversations
    `marts.conversation_evaluations` holds (the rollup-eligible ones) whose journey's cohort_week
    in `marts.journeys` is `cohort_week`, and whose customer segment is `segment`. The cohort is
    read back from the marts, never recomputed here (its one definition is the dbt macro
    `journey_cohorts`). Without either, the whole day: no marts are needed."""
    filters, params = ["true"], []
    if day is not None:
        filters.append("c.partition_date = ?")
        params.append(day)
    scope = ""
    if cohort_week is not None or segment is not None:
        scope = f"""
        inner join {MARTS_SCHEMA}.conversation_evaluations as shown
            on c.conversation_id = shown.conversation_id
        inner join {MARTS_SCHEMA}.journeys as journeys
            on shown.journey_id = journeys.journey_id"""
    if cohort_week is not None:
        filters.append("journeys.cohort_week = ?")
        params.append(cohort_week)
    if segment is not None:
        filters.append("shown.segment = ?")
        params.append(segment)
    query = f"""
        select {columns}
        from {RAW_SCHEMA}.conversations as c{scope}
        where {" and ".join(filters)}
    """
    return query, params


def _cohort_records(
    con: duckdb.DuckDBPyConnection, query: str, params: list[Any]
) -> list[dict[str, Any]]:
    try:
        return _records(con, query, params)
    except duckdb.CatalogException as error:
        raise ValueError(
            "a cohort or segment re-score reads the cohort from marts.journeys and "
            "marts.conversation_evaluations, which this warehouse does not have yet: "
            f"materialize the days first ({error})"
        ) from error


def _day_conversations(
    con: duckdb.DuckDBPyConnection, day: date, cohort_week: str | None, segment: str | None, consent_default: bool
) -> list[dict[str, Any]]:
    """The conversations to score, with their effective `ai_evaluation` consent (raw.customer_consent);
    without their turns, which `_with_turns` reads a chunk at a time."""
    columns = (
        "c.conversation_id, c.journey_id, c.started_at, "
        f"coalesce((select cc.ai_evaluation from {RAW_SCHEMA}.customer_consent cc"
        f" where cc.conversation_id = c.conversation_id), {str(consent_default).lower()}) as ai_evaluation"
    )
    query, params = _cohort_query(columns, day, cohort_week, segment)
    # A transcript removed for recording consent (transcript_retention.py) is not re-scored.
    query += " and coalesce(c.transcript_kept, true)"
    return _cohort_records(con, query + " order by c.started_at, c.conversation_id", params)


def _journey_chunks(conversations: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """The conversations in chunks of about `size` (CHUNK_CONVERSATIONS), each journey's in one chunk."""
    by_journey: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for index, conversation in enumerate(conversations):
        journey = conversation["journey_id"]
        by_journey[("journey", journey) if journey is not None else ("alone", index)].append(conversation)
    chunk: list[dict[str, Any]] = []
    for journey_conversations in by_journey.values():
        chunk += journey_conversations
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _with_turns(con: duckdb.DuckDBPyConnection, day: date, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chunk's conversations with their turns, read from the day's partition."""
    con.register("_scoring_chunk", pa.table({"conversation_id": [c["conversation_id"] for c in chunk]}))
    try:
        turns = dict(
            con.execute(
                f"select conversation_id, turns from {RAW_SCHEMA}.conversations where partition_date = ?"
                " and conversation_id in (select conversation_id from _scoring_chunk)",
                [day],
            ).fetchall()
        )
    finally:
        con.unregister("_scoring_chunk")
    return [{**c, "turns": turns.get(c["conversation_id"])} for c in chunk]


def cohort_days(
    con: duckdb.DuckDBPyConnection, *, cohort_week: str | None = None, segment: str | None = None
) -> list[date]:
    """The partitions holding the cohort's conversations: what a cohort re-score must re-run."""
    _check_cohort_week(cohort_week)
    query, params = _cohort_query("distinct c.partition_date", None, cohort_week, segment)
    return [row["partition_date"] for row in _cohort_records(con, query + " order by 1", params)]


def _check_cohort_week(cohort_week: str | None) -> None:
    if cohort_week is not None and not _ISO_WEEK.match(cohort_week):
        raise ValueError(f"cohort_week must be an ISO week like 2026-W45, got {cohort_week!r}")


def _earlier_transcripts(
    con: duckdb.DuckDBPyConnection, conversations: list[dict[str, Any]], *, without_declined: bool
) -> dict[str, list[list[dict[str, Any]]]]:
    """conversation_id -> transcripts of the same journey's conversations that ended before it
    started (oldest first), from any partition. `without_declined` leaves out those whose customer
    declined AI evaluation (raw.customer_consent): their text must never reach a judge, not even
    as another conversation's context."""
    journeys = sorted({c["journey_id"] for c in conversations if c["journey_id"] is not None})
    if not journeys:
        return {}
    con.register("_scoring_journeys", pa.table({"journey_id": journeys}))
    try:
        rows = _records(
            con,
            f"""
            select e.journey_id, e.conversation_id, e.started_at, coalesce(e.ended_at, e.started_at) as ended_at, e.turns
            from {RAW_SCHEMA}.conversations as e
            left join {RAW_SCHEMA}.customer_consent as cc on cc.conversation_id = e.conversation_id
            where e.journey_id in (select journey_id from _scoring_journeys)
                and not ({str(without_declined).lower()} and cc.ai_evaluation is not distinct from false)
            order by e.journey_id, e.started_at, e.conversation_id
            """,
        )
    finally:
        con.unregister("_scoring_journeys")
    by_journey: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_journey[row["journey_id"]].append(row)
    earlier: dict[str, list[list[dict[str, Any]]]] = {}
    for conversation in conversations:
        started = conversation["started_at"]
        if conversation["journey_id"] is None or started is None:
            continue
        earlier[conversation["conversation_id"]] = [
            row["turns"]
            for row in by_journey[conversation["journey_id"]]
            if row["turns"]  # an earlier conversation without turns holds nothing to retain
            and row["conversation_id"] != conversation["conversation_id"]
            and row["ended_at"] is not None
            and row["ended_at"] <= started
        ]
    return earlier


def _rows(conversations: list[dict[str, Any]], results: list[dict[str, EvalResult]], day: date) -> pa.Table:
    evaluated_at = datetime.now(UTC).replace(tzinfo=None)
    records = [
        {
            "conversation_id": conversation["conversation_id"],
            "evaluator": name,
            "score": result.score,
            "passed": result.passed,
            "status": result.status,
            "reason": result.reason,
            "evidence": json.dumps(result.evidence_json()),
            "engine": result.engine,
            "rubric_version": result.rubric_version,
            "latency_ms": result.latency_ms,
            "evaluated_at": evaluated_at,
            "partition_date": day,
            "decided_by": result.decided_by,
        }
        for conversation, by_name in zip(conversations, results, strict=True)
        for name, result in by_name.items()
    ]
    return EVALUATIONS.rows(records)


def _evaluate_local(items: list[BatchItem], names: tuple[str, ...]) -> BatchResult:
    return evaluate_batch(items, names, engine="local")


@contextmanager
def _local_pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes for the local engine, started once for all of a day's chunks (None for one
    worker). Workers start on first use, so a run that never scores locally starts none."""
    if workers < 2:
        yield None
        return
    # forkserver, not fork: the caller holds DuckDB's threads, which a fork would copy mid-flight.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        yield pool


def _evaluate_in_workers(
    items: list[BatchItem], journey_ids: list[str | None], names: tuple[str, ...], pool: ProcessPoolExecutor, workers: int
) -> BatchResult:
    """`evaluate_batch` of the local engine over the pool's `workers` processes, results in input order.

    A journey's conversations go to the same worker (grouped by a stable hash of the journey id),
    so the worker's transcript cache, which holds the earlier stages it has analysed, still
    serves the journey's later conversations. Several groups per worker even out their sizes."""
    groups: dict[int, list[int]] = defaultdict(list)
    for index, journey_id in enumerate(journey_ids):
        groups[zlib.crc32((journey_id or "").encode()) % (workers * 4)].append(index)
    ordered = [indices for _, indices in sorted(groups.items())]
    results: list[dict[str, EvalResult]] = [{} for _ in items]
    stats = EngineStats()
    parts = pool.map(_evaluate_local, [[items[i] for i in indices] for indices in ordered], [names] * len(ordered))
    for indices, part in zip(ordered, parts, strict=True):
        for index, result in zip(indices, part.results, strict=True):
            results[index] = result
        stats.merge(part.stats)
    return BatchResult(results, stats)


def _evaluate(
    con: duckdb.DuckDBPyConnection,
    conversations: list[dict[str, Any]],
    names: Sequence[str],
    engine: str,
    judge: JudgeConfig | None,
    progress: bool,
    pool: ProcessPoolExecutor | None,
    workers: int,
) -> BatchResult:
    earlier = _earlier_transcripts(con, conversations, without_declined=engine != "local")
    items = [
        BatchItem(c["turns"] or [], earlier.get(c["conversation_id"]) or None, c["conversation_id"])
        for c in conversations
    ]
    if engine == "local" and pool is not None:
        return _evaluate_in_workers(items, [c["journey_id"] for c in conversations], tuple(names), pool, workers)
    # The judge engines wait on HTTP, which the judge's own thread pool already overlaps.
    return evaluate_batch(items, names, engine=engine, judge=judge, progress=progress)


def _tally(
    results: list[dict[str, EvalResult]], scores: dict[str, list[float]], counts: dict[str, Counter[str]]
) -> None:
    """Add a chunk's verdicts to the day's status counts and scores (the report's figures)."""
    for by_name in results:
        for name, result in by_name.items():
            counts[name][result.status] += 1
            if result.score is not None:
                scores[name].append(result.score)


def _declined_rows(conversations: list[dict[str, Any]], names: Sequence[str], day: date) -> pa.Table:
    """`not_applicable` rows, reason `consent`, for conversations whose customer declined AI evaluation."""
    evaluated_at = datetime.now(UTC).replace(tzinfo=None)
    records = [
        {
            "conversation_id": c["conversation_id"],
            "evaluator": name,
            "status": NOT_APPLICABLE,
            "reason": CONSENT_REASON,
            "evidence": "[]",
            "engine": "none",
            "decided_by": "local",
            "evaluated_at": evaluated_at,
            "partition_date": day,
        }
        for c in conversations
        for name in names
    ]
    return EVALUATIONS.rows(records)


def score_partition(
    con: duckdb.DuckDBPyConnection,
    day: date,
    *,
    engine: str | None = None,
    evaluators: Sequence[str] | None = None,
    cohort_week: str | None = None,
    segment: str | None = None,
    judge: JudgeConfig | None = None,
    progress: bool = False,
    workers: int | None = None,
    settings: Settings | None = None,
) -> ScoringReport:
    """Score the conversations of one partition and replace their rows in `raw.evaluations`.

    `engine` defaults to `settings.eval_engine` (JOURNEYS_EVAL_ENGINE); `evaluators` to all
    three; `cohort_week` ('YYYY-Www') and `segment` restrict the run, and the replacement, to that
    cohort's conversations; `judge` configures the LLM judge (default: `judge_config`, with the
    verdict cache at `settings.llm_cache`). `settings` defaults to `Settings.from_env()`. The local engine scores a large day in
    `workers` processes (default: one per usable core from PARALLEL_MIN_CONVERSATIONS
    conversations up); the rows are the same as scoring it in this process."""
    settings = settings or Settings.from_env()
    engine = engine or settings.eval_engine
    judge = judge or judge_config(engine, settings.llm_cache)
    names = resolve_names(evaluators)
    _check_cohort_week(cohort_week)
    report = ScoringReport(day, engine, names, cohort_week, segment)

    conversations = _day_conversations(con, day, cohort_week, segment, CONSENT_DEFAULTS[settings.consent_default])
    if workers is None:
        workers = usable_cores() if len(conversations) >= PARALLEL_MIN_CONVERSATIONS else 1
    parts: list[pa.Table] = [EVALUATIONS.rows([])]
    scores: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    with _local_pool(workers) as pool:
        for chunk in _journey_chunks(conversations, CHUNK_CONVERSATIONS):
            chunk = _with_turns(con, day, chunk)
            # A customer who declined AI evaluation: never sent to the judge, whatever the engine;
            # scored by the local engine or marked not_applicable with the reason `consent`
            # (JOURNEYS_DECLINED_EVALUATION).
            allowed = [c for c in chunk if c["ai_evaluation"]]
            declined = [c for c in chunk if not c["ai_evaluation"]]
            batch = _evaluate(con, allowed, names, engine, judge, progress, pool, workers)
            report.stats.merge(batch.stats)
            parts.append(_rows(allowed, batch.results, day))
            _tally(batch.results, scores, counts)
            if declined and settings.declined_evaluation == "local":
                declined_batch = _evaluate(con, declined, names, "local", None, progress, pool, workers)
                parts.append(_rows(declined, declined_batch.results, day))
                _tally(declined_batch.results, scores, counts)
            elif declined:
                parts.append(_declined_rows(declined, names, day))
                for name in names:
                    counts[name][NOT_APPLICABLE] += len(declined)
    rows = pa.concat_tables(parts)

    evaluator_list = ", ".join(f"'{n}'" for n in names)  # names are validated: safe to inline
    predicate = (
        f"and evaluator in ({evaluator_list}) and conversation_id not in (select conversation_id"
        f" from {RAW_SCHEMA}.conversations where partition_date = '{day.isoformat()}' and transcript_kept = false)"
    )
    scoped = cohort_week is not None or segment is not None
    if scoped:
        con.register(
            "_scoring_scope", pa.table({"conversation_id": [c["conversation_id"] for c in conversations]})
        )
        predicate += " and conversation_id in (select conversation_id from _scoring_scope)"
    try:
        report.rows_written = replace_partition(con, "evaluations", day, rows, predicate)
    finally:
        if scoped:
            con.unregister("_scoring_scope")

    query, params = _cohort_query("count(*)", day, cohort_week, segment)
    report.transcripts_not_kept = con.execute(query + " and c.transcript_kept = false", params).fetchall()[0][0]
    report.conversations = len(conversations) + report.transcripts_not_kept
    report.declined_consent = sum(1 for c in conversations if not c["ai_evaluation"])
    report.status_counts = {name: dict(counts[name]) for name in names}
    report.mean_scores = {name: fmean(scores[name]) if scores[name] else None for name in names}
    report.scored = {name: len(scores[name]) for name in names}
    return report
