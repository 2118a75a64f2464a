"""Every dashboard page under Streamlit's AppTest, on the fixture snapshot.

Expected numbers are recomputed here with pandas straight from the fixture Parquet files, an
independent path from the app's DuckDB queries, and looked for as the page formats them.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from app_runner import main_module_kept, run_app
from apptest_helpers import metric, page_links, plotly_figures, texts
from fixture_marts import build_fixture_snapshot

from app import queries
from app.filters import Filters
from app.formatting import count, escape_markdown, pct, signed
from orchestration.ingest import decode_pool
from orchestration.serving import current_snapshot

PASSED = ["resolution_passed", "quality_passed", "context_retention_passed"]


def failing(conversations: pd.DataFrame) -> pd.Series:
    """Conversations failing any evaluator (an unscored evaluator is not a failure)."""
    return conversations[PASSED].eq(False).any(axis=1)


def dropoff(funnel: pd.DataFrame, journey: str, cohorts: list[str] | None = None) -> tuple[str, pd.Series]:
    rows = funnel[funnel["journey_name"] == journey]
    if cohorts:
        rows = rows[rows["cohort_week"].isin(cohorts)]
    stages = rows.groupby("stage")[["entered", "completed"]].sum()
    stages["lost"] = stages["entered"] - stages["completed"]
    stages["rate"] = stages["completed"] / stages["entered"]
    worst = stages.sort_values(["lost", "rate"], ascending=[False, True]).index[0]
    return worst, stages.loc[worst]


def test_overview_highlights_the_biggest_dropoff_with_its_evaluator_signal(open_page, mart):
    at = open_page()
    funnel, evaluations = mart("stage_funnel"), mart("conversation_evaluations")
    shown = texts(at)
    links = page_links(at)
    for journey in ("billing_dispute", "streaming_onboarding"):
        stage, row = dropoff(funnel, journey)
        assert f"#### Biggest drop-off: **{stage}**" in shown
        assert pct(row["rate"]) in metric(at, "Completion rate")
        assert any(f"{count(row['lost'])} of {count(row['entered'])} journeys" in t for t in shown)
        here = evaluations[(evaluations["journey_name"] == journey) & (evaluations["stage"] == stage)]
        assert f"{here['resolution_score'].mean():.2f}" in metric(at, "Resolution")
        assert pct(failing(here).mean()) in metric(at, "Eval-fail rate")
        # The drill-down names exactly the failing conversations behind the number.
        label = f"Open the {int(failing(here).sum())} failing conversations at {stage}"
        params = dict(links)[label]
        assert params["journey"] == [journey] and params["stage"] == [stage] and params["failing"] == ["1"]
    # The planted drop-offs of the fixture.
    assert "#### Biggest drop-off: **payment**" in shown
    assert "#### Biggest drop-off: **investigation**" in shown


def test_overview_funnel_chart_and_tables_carry_the_stage_numbers(open_page, mart):
    at = open_page()
    funnel = mart("stage_funnel")
    streaming = (
        funnel[funnel["journey_name"] == "streaming_onboarding"]
        .groupby("stage")[["entered", "completed"]]
        .sum()
    )
    figure = next(
        f for f in plotly_figures(at) if f["data"][0]["type"] == "funnel" and "sign-up" in f["data"][0]["y"]
    )
    entered, completed = figure["data"][0], figure["data"][1]
    assert entered["y"] == ["sign-up", "payment", "content-prefs", "app-install", "first-watch"]
    assert entered["x"] == [int(streaming.loc[s, "entered"]) for s in entered["y"]]
    payment = streaming.loc["payment"]
    assert (
        f"{int(payment['completed'])} ({pct(payment['completed'] / payment['entered'])})" in completed["text"]
    )
    # The friction ranking lists the mart's top cell with its explanation.
    friction = mart("friction_ranking").sort_values("rank")
    shown_friction = next(df.value for df in at.dataframe if "explanation" in df.value.columns)
    assert list(shown_friction["explanation"]) == list(friction["explanation"])
    top = friction.iloc[0]
    cell = f"{top['stage']} · {top['channel']} · {top['cohort_week']} · {top['journey_name']}"
    assert any(
        t.startswith(f"1. **{escape_markdown(cell)}**: {escape_markdown(top['explanation'])}")
        for t in texts(at)
    )
    # CSAT trend: one point per cohort week, the mean of the journeys' CSAT.
    journeys = mart("journeys")
    expected = journeys[journeys["journey_name"] == "billing_dispute"].groupby("cohort_week")["csat"].mean()
    trend = next(f for f in plotly_figures(at) if f["layout"]["title"]["text"].startswith("Latest CSAT"))
    line = next(t for t in trend["data"] if t["name"] == "billing_dispute")
    assert line["x"] == list(expected.index)
    assert line["y"] == pytest.approx(list(expected.values))


def test_cohort_and_journey_filters_from_the_url_change_the_numbers(open_page, mart):
    funnel = mart("stage_funnel")
    all_cohorts_stage, all_cohorts = dropoff(funnel, "streaming_onboarding")
    stage, row = dropoff(funnel, "streaming_onboarding", ["2026-W45"])
    at = open_page(journey="streaming_onboarding", cohort="2026-W45")
    shown = texts(at)
    assert metric(at, "Completion rate") == [pct(row["rate"])]
    assert pct(row["rate"]) != pct(all_cohorts["rate"]) or stage != all_cohorts_stage
    assert "billing_dispute" not in shown
    assert any(t.startswith("Filtered by journey, cohort week.") for t in shown)
    assert at.query_params["journey"] == "streaming_onboarding" and at.query_params["cohort"] == "2026-W45"


def test_changing_a_filter_writes_it_to_the_url_for_a_shareable_link(open_page):
    at = open_page()
    at.sidebar.multiselect[0].set_value(["billing_dispute"]).run()
    at.sidebar.multiselect[2].set_value(["enterprise", "consumer"]).run()
    assert at.query_params["journey"] == "billing_dispute"
    assert at.query_params["segment"] == ["enterprise", "consumer"]
    # Segment is not a column of the funnel's grain: the page says so instead of ignoring it silently.
    assert any("Not filtered by segment" in t for t in texts(at))
    at.sidebar.button[0].click().run()
    assert "journey" not in at.query_params and "segment" not in at.query_params


def test_stages_page_recomputes_scores_and_fail_rates_under_every_filter(open_page, mart):
    evaluations = mart("conversation_evaluations")
    voice = evaluations[
        (evaluations["channel"] == "voice") & (evaluations["journey_name"] == "billing_dispute")
    ]
    at = open_page("stages", journey="billing_dispute", channel="voice")
    fail_by_stage = (
        voice.assign(failing=failing(voice)).groupby("stage")["failing"].agg(["mean", "size", "sum"])
    )
    bars = next(f for f in plotly_figures(at) if f["layout"]["title"]["text"] == "Eval-fail rate by stage")
    shown_text = dict(zip(bars["data"][0]["y"], bars["data"][0]["text"]))
    for stage, row in fail_by_stage.iterrows():
        assert shown_text[stage] == f"{pct(row['mean'])} of {count(row['size'])}"
    worst = fail_by_stage["mean"].idxmax()
    labels = [label for label, _ in page_links(at)]
    assert (
        f"Open the {int(fail_by_stage.loc[worst, 'sum'])} failing conversations at {worst} "
        f"({pct(fail_by_stage.loc[worst, 'mean'])} fail)" in labels
    )
    scores = next(
        f for f in plotly_figures(at) if f["layout"]["title"]["text"] == "Mean evaluator score per stage"
    )
    resolution = next(t for t in scores["data"] if t["name"] == "Resolution")
    expected = voice.groupby("stage")["resolution_score"].mean()
    assert dict(zip(resolution["x"], resolution["text"])) == {s: f"{v:.2f}" for s, v in expected.items()}
    # Hand-off retention comes from its mart; the planted context loss into app-install is flagged.
    at = open_page("stages", journey="streaming_onboarding")
    handoffs = mart("stage_handoffs").set_index(["from_stage", "to_stage"])
    into_install = handoffs.loc[("content-prefs", "app-install")]
    chart = next(f for f in plotly_figures(at) if "after each hand-off" in f["layout"]["title"]["text"])
    bar = chart["data"][0]
    i = bar["y"].index("content-prefs → app-install")
    assert bar["text"][i].endswith(" · below 0.75")  # app-install's threshold in the journey map
    assert bar["text"][i].startswith(
        f"{into_install['avg_context_retention']:.2f} · {pct(into_install['retention_fail_rate'])} fail"
    )
    assert bar["marker"]["color"][i] == "#d1495b"


def test_channel_mix_shows_lift_completion_and_paths_off_the_map(open_page, mart):
    at = open_page("channel_mix", journey="billing_dispute")
    mix = mart("channel_mix")
    rated = mix[(mix["journey_name"] == "billing_dispute") & (mix["journeys_with_csat"] >= 3)]
    lift = next(
        f for f in plotly_figures(at) if f["layout"]["title"]["text"] == "CSAT lift by channel sequence"
    )
    assert dict(zip(lift["data"][0]["y"], lift["data"][0]["text"])) == {
        r.channel_sequence: f"{signed(r.csat_lift)} (n={r.journeys_with_csat})" for r in rated.itertuples()
    }
    # Moves between consecutive (stage, channel) steps that skip a stage or go back.
    evaluations = mart("conversation_evaluations")
    steps = evaluations[evaluations["journey_name"] == "billing_dispute"].sort_values(
        ["journey_id", "started_at"]
    )
    order = {"dispute-intake": 1, "identity-check": 2, "investigation": 3, "refund-decision": 4}
    prev = steps.groupby("journey_id")[["stage", "channel"]].shift()
    moved = prev["stage"].notna() & (
        (prev["stage"] != steps["stage"]) | (prev["channel"] != steps["channel"])
    )
    jump = steps["stage"].map(order) - prev["stage"].map(order)
    assert metric(at, "Off-path moves") == [count((moved & ~jump.isin([0, 1])).sum())]
    sankey = next(f for f in plotly_figures(at) if f["data"][0]["type"] == "sankey")
    assert sum(sankey["data"][0]["link"]["value"]) == moved.sum()
    assert "1. dispute-intake\n2. identity-check\n3. investigation\n4. refund-decision" in texts(at)


def test_drilldown_link_opens_the_conversations_and_a_transcript_with_evidence(open_page, mart):
    evaluations = mart("conversation_evaluations")
    at = open_page("conversations", journey="streaming_onboarding", stage="payment", failing="1")
    expected = evaluations[
        (evaluations["journey_name"] == "streaming_onboarding")
        & (evaluations["stage"] == "payment")
        & failing(evaluations)
    ]
    table = next(df.value for df in at.dataframe if "conversation_id" in df.value.columns)
    assert set(table["conversation_id"]) == set(expected["conversation_id"])
    assert f"**{len(expected)} conversations**" in texts(at)
    # The newest conversation opens; the URL names it, so the link reproduces the view.
    newest = expected.sort_values(["started_at", "conversation_id"], ascending=[False, True]).iloc[0]
    assert at.selectbox[0].value == newest["conversation_id"]
    assert at.query_params["conversation"] == newest["conversation_id"]
    shown = texts(at)
    assert any(escape_markdown(newest["resolution_reason"]) in t for t in shown)
    assert any(":red-badge[failed]" in t for t in shown)


def test_a_linked_conversation_highlights_each_evaluators_evidence_turn(open_page, mart):
    evaluations = mart("conversation_evaluations").set_index("conversation_id")
    scored = (
        evaluations[["resolution_status", "quality_status", "context_retention_status"]] == "completed"
    ).all(axis=1)
    forgot = evaluations[scored & evaluations["context_retention_reason"].str.contains("asked again")].index[
        0
    ]
    at = open_page("conversations", conversation=forgot)
    assert at.selectbox[0].value == forgot
    chat = at.chat_message
    assert len(chat) == len(evaluations.loc[forgot, "turns"])
    # Fixture evidence: resolution cites turn index 5, quality 1, context retention 3 (0-based).
    highlighted = {i for i, message in enumerate(chat) if "evidence:" in message.caption[0].value}
    assert highlighted == {1, 3, 5}
    retention_turn = chat[3]
    assert "Context retention" in retention_turn.caption[0].value
    assert retention_turn.markdown[0].value.startswith(
        ":orange-background[Could you tell me your account number again"
    )
    # Evidence from an earlier stage is quoted in the evaluator's card, not highlighted here.
    quoted = "Evidence: earlier stage, turn 2: “my account number is 4471” (given before)"
    assert quoted in texts(at)


def test_conversation_search_is_a_bound_parameter(open_page, mart):
    evaluations = mart("conversation_evaluations")
    journey_id = evaluations["journey_id"].iloc[0]
    at = open_page("conversations", q=journey_id)
    table = next(df.value for df in at.dataframe if "conversation_id" in df.value.columns)
    assert set(table["conversation_id"]) == set(
        evaluations.loc[evaluations["journey_id"] == journey_id, "conversation_id"]
    )
    at = open_page("conversations", q="x' or '1'='1")
    assert "No conversation matches; widen the filters or clear the search." in texts(at)


def test_compliance_page_totals_pii_redaction_and_consent(open_page, mart):
    at = open_page("compliance")
    compliance = mart("stage_compliance")
    with_pii, redacted = (
        compliance["conversations_with_pii"].sum(),
        compliance["conversations_redacted"].sum(),
    )
    assert metric(at, "With PII found") == [count(with_pii)]
    # Redaction happens at ingestion: the share is of all conversations, and "left unredacted"
    # counts the exact leak types, not PII-shaped text minus markers (which gave 1500% on real data).
    assert metric(at, "Redacted") == [pct(redacted / compliance["conversations"].sum())]
    leaks = compliance[["pii_email", "pii_payment_card", "pii_iban"]].sum().sum()
    assert metric(at, "PII left unredacted") == [count(leaks)]
    consent = next(f for f in plotly_figures(at) if f["layout"]["title"]["text"] == "Consent by stage")
    assert [t["name"] for t in consent["data"]] == ["granted", "denied", "withdrawn", "unknown"]


def test_routing_signals_page_lists_the_published_signals(open_page, mart, serving):
    at = open_page("routing", journey="billing_dispute")
    signals = mart("routing_signals")
    table = at.dataframe[0].value
    assert len(table) == (signals["journey_name"] == "billing_dispute").sum()
    assert metric(at, "route_to_human_earlier") == [count(len(table))]
    assert f"`{serving / 'routing_signals.json'}`: {count(len(signals))} signals" in " ".join(texts(at))


def test_routing_page_says_when_the_polled_signals_file_is_damaged(open_page, tmp_path):
    build_fixture_snapshot(tmp_path)
    (tmp_path / "routing_signals.json").write_text("{truncated")
    at = open_page("routing", serving_dir=tmp_path)
    (warning,) = [_unescaped(w.value) for w in at.warning if "routing" in w.value]
    assert warning.startswith(f"{tmp_path / 'routing_signals.json'} is not readable JSON: Expecting")
    assert len(at.dataframe) >= 1  # the signals themselves still come from the snapshot


def test_a_damaged_manifest_is_reported_instead_of_a_traceback(tmp_path, monkeypatch):
    build_fixture_snapshot(tmp_path)
    manifest = tmp_path / "current" / "manifest.json"
    manifest.chmod(0o640)
    manifest.write_text("{truncated")
    monkeypatch.setenv("JOURNEYS_SERVING_DIR", str(tmp_path))
    at = run_app("overview")
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error.startswith(f"Cannot read the serving data: {manifest.resolve()} is not readable JSON: Expecting")


def test_routing_page_flags_net_negative_changes_and_map_drift(open_page, mart):
    at = open_page("routing")
    guard = mart("journey_guard")
    flagged = guard[guard["is_net_negative"]]
    assert metric(at, "Net-negative changes") == [count(len(flagged))]
    assert [w.value for w in at.warning] == list(flagged["explanation"])
    assert metric(at, "Undeclared paths and channels") == [count(len(mart("journey_map_drift")))]


def test_a_channel_filter_keeps_the_signals_and_drift_that_hold_for_every_channel(open_page, mart):
    """Cohort-level signals (add_context_bridge) and transition drift have no channel: they hold
    for every channel, so filtering by one must not hide them."""
    at = open_page("routing", channel="chat")
    signals, drift = mart("routing_signals"), mart("journey_map_drift")
    kept = signals[signals["channel"].isna() | (signals["channel"] == "chat")]
    assert signals["channel"].isna().any() and (signals["channel"].dropna() != "chat").any()
    assert len(at.dataframe[0].value) == len(kept)
    kept_drift = drift[drift["channel"].isna() | (drift["channel"] == "chat")]
    assert len(kept_drift) == 1
    assert metric(at, "Undeclared paths and channels") == [count(len(kept_drift))]


def test_a_cohort_filter_keeps_the_signals_that_hold_for_every_cohort(open_page, mart):
    signals = mart("routing_signals")
    at = open_page("routing", cohort="2026-W45")
    kept = signals[signals["cohort_week"].isna() | (signals["cohort_week"] == "2026-W45")]
    assert signals["cohort_week"].isna().any() and (signals["cohort_week"].dropna() != "2026-W45").any()
    assert len(at.dataframe[0].value) == len(kept)


def test_routing_page_guard_is_quiet_for_a_journey_without_net_negative_change(open_page):
    at = open_page("routing", journey="billing_dispute")
    assert metric(at, "Net-negative changes") == [count(0)]
    assert "No stage improved at the expense of the next one." in [s.value for s in at.success]


@pytest.mark.parametrize("page", ["overview", "conversations"])
def test_no_published_data_shows_how_to_produce_it(open_page, tmp_path, page):
    at = open_page(page, serving_dir=tmp_path)
    (message,) = at.info
    assert "`make demo`" in message.value and "journeys materialize --start" in message.value
    assert not at.dataframe and not at.get("plotly_chart")


def test_a_missing_optional_mart_is_named_and_the_rest_of_the_page_works(open_page, tmp_path):
    build_fixture_snapshot(tmp_path, omit=frozenset({"friction_ranking"}))
    at = open_page(serving_dir=tmp_path)
    assert any("`marts.friction_ranking` is not in the published snapshot yet" in i.value for i in at.info)
    assert "#### Biggest drop-off: **payment**" in texts(at)


def _unescaped(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def test_a_bad_link_is_explained_not_a_traceback(open_page):
    at = open_page(journey=["nope", "billing_dispute"], **{"from": "yesterday"})
    warnings = [_unescaped(w.value) for w in at.sidebar.warning]
    assert any("ignored unknown journey 'nope'" in w for w in warnings)
    assert any("ignored from='yesterday': not a date" in w for w in warnings)
    assert at.query_params["journey"] == "billing_dispute"


@pytest.mark.parametrize("key", ["from", "journey"])
def test_link_values_are_shown_as_plain_text_not_markdown(open_page, key):
    injected = "[x](http://evil.example) **bold** :red[red]"
    at = open_page(**{key: injected})
    (warning,) = [w.value for w in at.sidebar.warning]
    assert injected not in warning  # every mark is escaped: no link, emphasis or colour
    assert injected in _unescaped(warning)


def test_a_conversation_id_from_the_link_is_shown_as_plain_text(open_page):
    injected = "x` [click](http://evil.example) `"
    at = open_page("conversations", conversation=injected)
    (warning,) = [w.value for w in at.warning if "is not in the published snapshot" in w.value]
    assert "](" not in warning and injected in _unescaped(warning)


def test_a_newly_published_snapshot_is_read_on_the_next_run(open_page, tmp_path):
    build_fixture_snapshot(tmp_path, omit=frozenset({"friction_ranking"}))
    at = open_page(serving_dir=tmp_path)
    assert any("friction_ranking" in i.value for i in at.info)
    build_fixture_snapshot(tmp_path)  # the publisher swaps `current` to a new snapshot
    at.run()
    assert not any("friction_ranking" in i.value for i in at.info)
    assert (tmp_path / "current").resolve().name in at.sidebar.caption[0].value


def test_a_drilldown_link_in_a_running_session_sets_the_sidebar_filters(open_page):
    at = open_page()
    assert at.sidebar.multiselect[0].value == []
    # What clicking a drill-down page link does: new query string, other page.
    at.query_params = {"journey": "streaming_onboarding", "stage": "payment", "failing": "1"}
    at.switch_page("app_pages/conversations.py").run()
    assert at.sidebar.multiselect[0].value == ["streaming_onboarding"]
    assert at.multiselect(key="conv_stages").value == ["payment"]


def test_page_navigation_keeps_the_filters_and_writes_them_back(open_page):
    at = open_page()
    at.sidebar.multiselect[3].set_value(["voice"]).run()
    at.query_params = {}  # the navigation menu drops the query string
    at.switch_page("app_pages/stages.py").run()
    assert at.sidebar.multiselect[3].value == ["voice"]
    assert at.query_params["channel"] == "voice"


PAGES = ["overview", "stages", "channel_mix", "conversations", "compliance", "routing"]


@pytest.fixture(scope="module")
def without_core_marts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("partial")
    build_fixture_snapshot(directory, omit=frozenset({"stage_funnel", "conversation_evaluations"}))
    return directory


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_without_the_funnel_and_conversation_marts(open_page, without_core_marts, page):
    at = open_page(page, serving_dir=without_core_marts)  # open_page asserts no exception
    notices = [i.value for i in at.info]
    if page in ("overview", "stages", "channel_mix", "conversations"):
        assert any("is not in the published snapshot yet" in n for n in notices)


def test_decode_workers_start_after_a_dashboard_run(open_page, tmp_path, monkeypatch):
    """Streamlit leaves its script as `__main__`; the ingest tests' decode workers then re-ran the
    dashboard as their main module and the pool broke (a CI failure). The suite-wide fixture
    puts `__main__` back with main_module_kept."""
    with main_module_kept():
        at = open_page("stages")
        at.run()
    monkeypatch.delenv("JOURNEYS_SERVING_DIR")  # as in a later test, where the dashboard cannot run
    paths = [tmp_path / f"{n}.jsonl" for n in range(2)]
    for path in paths:
        path.write_text(json.dumps({"resourceSpans": []}) + "\n")
    monkeypatch.setattr(decode_pool, "PARALLEL_MIN_BYTES", 0)
    assert [decoded.path for decoded in decode_pool.decode_files(paths)] == paths


def test_the_conversation_list_pages_through_every_conversation_newest_first(serving, mart):
    snapshot = current_snapshot(serving)
    newest_first = mart("conversation_evaluations").sort_values(
        ["started_at", "conversation_id"], ascending=[False, True]
    )
    seen: list[str] = []
    while True:
        page = queries.conversations(snapshot, Filters(), [], False, "", 40, len(seen)).frame
        seen += list(page["conversation_id"].head(40))
        if len(page) <= 40:
            break
    assert seen == list(newest_first["conversation_id"])
    assert len(seen) > 40


def test_a_page_past_the_last_conversation_says_so(open_page, mart):
    at = open_page("conversations", list_page="99")
    assert "**No conversations on page 99**: go back to an earlier page." in texts(at)
    assert at.query_params["list_page"] == "99"


def test_a_listed_conversation_is_read_from_its_own_day(serving, mart):
    """A conversation picked from a list is read from the day its row gives: the same row as a
    lookup by id alone, and nothing from another day."""
    snapshot = current_snapshot(serving)
    listed = queries.conversations(snapshot, Filters(), [], False, "", 5).frame
    chosen = listed.iloc[-1]
    by_day = queries.listed_conversation(snapshot, listed, chosen["conversation_id"])
    by_id = queries.conversation(snapshot, chosen["conversation_id"])
    assert by_day is not None and by_day.equals(by_id)
    other_day = chosen["started_at"].date() - timedelta(days=400)
    assert queries.conversation(snapshot, chosen["conversation_id"], other_day) is None
