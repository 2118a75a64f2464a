"""Consent reaches the judge: traffic whose customers state consent once, at their journey's first
stage, ingested for real and scored with the `llm` engine against the loopback judge. No text of a
conversation whose customer declined AI evaluation is ever in a judge request, and those
conversations are `not_applicable` with the reason `consent`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
from judge_server import JudgeServer

from evals import JudgeConfig
from orchestration.ingest import ingest_partition
from orchestration.scoring import CONSENT_REASON, score_partition
from orchestration.simulate import simulate
from orchestration.simulate.scenario import DEMO_SCENARIO

START = date(2026, 10, 5)


def test_no_text_of_a_declined_customer_reaches_the_judge(
    tmp_path: Path, judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    scenario = replace(DEMO_SCENARIO, consent_stated_once=True)
    simulate(tmp_path / "landing", journeys=40, start=START, days=3, seed=11, scenario=scenario)
    days = [START + timedelta(days=k) for k in range(4)]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        for day in days:
            ingest_partition(con, tmp_path / "landing", day)
        for day in days:
            score_partition(con, day, engine="llm", judge=judge_config)
        consent = dict(con.execute("select conversation_id, ai_evaluation from raw.customer_consent").fetchall())
        sources = dict(
            con.execute("select ai_evaluation_source, count(*) from raw.customer_consent group by 1").fetchall()
        )
        texts = {
            cid: {t["text"] for t in turns}
            for cid, turns in con.execute("select conversation_id, turns from raw.conversations").fetchall()
        }
        declined_rows = con.execute(
            "select distinct status, reason from raw.evaluations e join raw.customer_consent c using (conversation_id) "
            "where not c.ai_evaluation"
        ).fetchall()
    declined = {cid for cid, allowed in consent.items() if not allowed}
    assert declined and sources.get("inherited", 0) > 0  # decisions stated once were inherited
    assert declined_rows == [("not_applicable", CONSENT_REASON)]
    # Phrasebook sentences recur: a declined turn is checked when no allowed turn holds it.
    allowed_text = "\n".join(set().union(*(t for cid, t in texts.items() if cid not in declined)))
    only_declined = {text for cid in declined for text in texts[cid] if text not in allowed_text}
    assert only_declined
    sent = "\n".join(str(m["content"]) for r in judge_server.requests for m in r["messages"])
    assert judge_server.requests
    assert [text for text in only_declined if text in sent] == []
