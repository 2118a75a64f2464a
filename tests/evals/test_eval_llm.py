"""The `llm` and `hybrid` engines against an OpenAI-compatible server on loopback.

The real `openai` client speaks HTTP to `judge_server.JudgeServer`; only the model is fake.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace

import pytest
from judge_server import COMPLETION_TOKENS, PROMPT_TOKENS, JudgeServer, Reply, verdict

from evals import JudgeConfig, JudgeConfigError, LLMJudge, evaluate, evaluate_batch

RESOLUTION = "conversation_resolution"
QUALITY = "customer_agent_conversation_quality"
RETENTION = "customer_agent_context_retention"
CONVERSATION = "Customer: Please reset my password.\nAgent: Done, a reset link has been sent to your email.\nCustomer: Thanks!"


def test_verdict_is_completed_with_token_accounting_and_a_deterministic_request(
    judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    judge_server.script = [Reply(verdict=verdict(0.5, reason="Partly resolved."))]
    result = evaluate(RESOLUTION, conversation=CONVERSATION, engine="llm", judge=judge_config)
    assert (result.status, result.score, result.passed, result.reason) == (
        "completed",
        0.5,
        True,
        "Partly resolved.",
    )
    assert result.engine == "llm" and result.rubric_version == "resolution.v2" and result.decided_by == "llm"
    assert result.usage is not None and (result.usage.prompt_tokens, result.usage.completion_tokens) == (
        PROMPT_TOKENS,
        COMPLETION_TOKENS,
    )
    request = judge_server.requests[0]
    assert request["temperature"] == 0 and request["model"] == "test-judge"
    assert request["response_format"]["type"] == "json_schema"
    assert "[1] Agent: Done, a reset link has been sent" in request["messages"][1]["content"]


def test_rate_limit_and_server_error_are_retried_by_the_client(
    judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    judge_server.script = [Reply(status=429), Reply(status=500), Reply(verdict=verdict(1.0))]
    judge = LLMJudge(judge_config)
    result = evaluate(RESOLUTION, conversation=CONVERSATION, engine="llm", judge=judge)
    assert result.status == "completed" and result.score == 1.0
    assert len(judge_server.requests) == 3  # two retries over HTTP
    assert judge.stats.calls == 1 and judge.stats.failed_calls == 0
    judge.close()


def test_a_timeout_is_retried(judge_server: JudgeServer, judge_config: JudgeConfig) -> None:
    judge_server.script = [Reply(delay_s=1.0), Reply(verdict=verdict(1.0))]
    result = evaluate(
        RESOLUTION, conversation=CONVERSATION, engine="llm", judge=replace(judge_config, timeout_s=0.3)
    )
    assert result.status == "completed"
    assert len(judge_server.requests) == 2


def test_exhausted_retries_give_a_failed_result_with_the_error_never_a_zero(
    judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    judge_server.script = [Reply(status=500)] * 3
    judge = LLMJudge(replace(judge_config, max_retries=2))
    result = evaluate(RESOLUTION, conversation=CONVERSATION, engine="llm", judge=judge)
    assert result.status == "failed" and result.score is None and result.passed is None
    assert "InternalServerError" in result.reason
    assert len(judge_server.requests) == 3 and judge.stats.failed_calls == 1
    judge.close()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("this is not JSON", "ValidationError"),
        (
            '{"applicable": true, "score": 0.7, "reason": "x", "evidence": []}',
            "not on the resolution.v2 scale",
        ),
        ('{"applicable": true, "score": 1, "evidence": []}', "ValidationError"),
        ('{"applicable": true, "score": 1, "reason": " ", "evidence": []}', "the reason is empty"),
    ],
)
def test_malformed_reply_is_failed_and_not_cached(
    judge_server: JudgeServer, judge_config: JudgeConfig, content: str, error: str
) -> None:
    judge_server.script = [Reply(raw_content=content)]
    first = evaluate(RESOLUTION, conversation=CONVERSATION, engine="llm", judge=judge_config)
    assert first.status == "failed" and first.score is None and error in first.reason
    second = evaluate(RESOLUTION, conversation=CONVERSATION, engine="llm", judge=judge_config)
    assert second.status == "completed" and len(judge_server.requests) == 2  # the failure was not cached


def test_rescoring_hits_the_persistent_cache_with_zero_new_calls(
    judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    items = [
        CONVERSATION,
        CONVERSATION.replace("password", "PIN"),
        "Customer: Hi\nAgent: Hello, how can I help?",
    ]
    first = evaluate_batch(items, [RESOLUTION, QUALITY], engine="llm", judge=judge_config)
    assert first.stats.calls == 6 and first.stats.cache_hits == 0
    assert (
        first.stats.prompt_tokens == 6 * PROMPT_TOKENS
        and first.stats.completion_tokens == 6 * COMPLETION_TOKENS
    )
    calls_so_far = len(judge_server.requests)

    second = evaluate_batch(
        items, [RESOLUTION, QUALITY], engine="llm", judge=judge_config
    )  # a new judge, same file
    assert len(judge_server.requests) == calls_so_far
    assert second.stats.calls == 0 and second.stats.cache_hits == 6 and second.stats.total_tokens == 0
    assert all(r.cached for by_name in second.results for r in by_name.values())
    assert [r[RESOLUTION].score for r in second.results] == [r[RESOLUTION].score for r in first.results]


def test_cache_key_includes_model_and_earlier_context(
    judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    evaluate(RETENTION, conversation=CONVERSATION, engine="llm", judge=judge_config)
    evaluate(
        RETENTION, conversation=CONVERSATION, engine="llm", judge=replace(judge_config, model="other-model")
    )
    earlier = ["Customer: my email is a@b.co\nAgent: noted"]
    evaluate(RETENTION, conversation=CONVERSATION, input=earlier, engine="llm", judge=judge_config)
    assert len(judge_server.requests) == 3
    assert "EARLIER CONTEXT" in judge_server.requests[2]["messages"][1]["content"]
    assert "my email is a@b.co" in judge_server.requests[2]["messages"][1]["content"]


def test_quality_rating_maps_from_1_5_and_not_applicable_has_no_score(
    judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    judge_server.default_verdicts = {"quality.v2": verdict(4), "retention.v2": verdict(0, applicable=False)}
    results = evaluate([QUALITY, RETENTION], conversation=CONVERSATION, engine="llm", judge=judge_config)
    assert results[QUALITY].score == 0.75
    assert results[RETENTION].status == "not_applicable" and results[RETENTION].score is None


def test_batch_concurrency_is_bounded(judge_server: JudgeServer, judge_config: JudgeConfig) -> None:
    judge_server.delay_s = 0.15
    items = [CONVERSATION.replace("password", f"password #{i}") for i in range(6)]
    batch = evaluate_batch(items, RESOLUTION, engine="llm", judge=replace(judge_config, concurrency=2))
    assert batch.stats.calls == 6
    assert judge_server.peak_in_flight == 2


def test_hybrid_sends_only_unsure_verdicts_and_reports_the_share(
    judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    clear = CONVERSATION  # an explicit completion notice: the local engine is sure
    unsure = "Customer: What are your opening hours?\nAgent: We open at 9 am."  # no outcome notice
    batch = evaluate_batch([clear, unsure], RESOLUTION, engine="hybrid", judge=judge_config)
    assert len(judge_server.requests) == 1
    assert batch.stats.judged == 1 and batch.stats.judged_share == 0.5
    by_item = [r[RESOLUTION] for r in batch.results]
    assert [r.engine for r in by_item] == ["hybrid", "hybrid"]
    assert by_item[0].rubric_version.startswith("local") and by_item[1].rubric_version == "resolution.v2"


def test_hybrid_keeps_the_local_verdict_when_the_judge_fails_but_does_not_count_it_as_judged(
    judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    judge_server.outage = Reply(status=500)
    clear, unsure = CONVERSATION, "Customer: What are your opening hours?\nAgent: We open at 9 am."
    batch = evaluate_batch(
        [clear, unsure], RESOLUTION, engine="hybrid", judge=replace(judge_config, max_retries=0)
    )
    kept = batch.results[1][RESOLUTION]
    assert kept.status == "completed" and kept.score is not None
    assert "LLM judge unavailable" in kept.reason
    assert [r[RESOLUTION].decided_by for r in batch.results] == ["local", "local"]
    assert batch.stats.judged == 0 and batch.stats.judged_share == 0.0
    assert (batch.stats.calls, batch.stats.failed_calls, batch.stats.failure_rate) == (1, 1, 1.0)


def test_every_result_says_who_decided_it(judge_server: JudgeServer, judge_config: JudgeConfig) -> None:
    judge_server.outage = Reply(status=500)
    failed = evaluate(
        RESOLUTION, conversation=CONVERSATION, engine="llm", judge=replace(judge_config, max_retries=0)
    )
    assert failed.status == "failed" and failed.decided_by == "llm"
    assert evaluate(RESOLUTION, conversation=CONVERSATION).decided_by == "local"
    judge_server.outage = None
    unsure = "Customer: What are your opening hours?\nAgent: We open at 9 am."
    assert evaluate(RESOLUTION, conversation=unsure, engine="hybrid", judge=judge_config).decided_by == "llm"


@pytest.mark.parametrize("echoed", ["sk-live-0123456789abcdefXYZ", "sk-proj-someoneElsesKey0123456789"])
def test_a_key_echoed_in_a_401_body_is_scrubbed_from_the_reason(
    judge_server: JudgeServer, judge_config: JudgeConfig, echoed: str
) -> None:
    """The first key is the one configured; the second one the process never held."""
    judge_server.outage = Reply(status=401, raw_content=f"Incorrect API key provided: {echoed}.")
    config = replace(judge_config, api_key="sk-live-0123456789abcdefXYZ", max_retries=0)
    result = evaluate(RESOLUTION, conversation=CONVERSATION, engine="llm", judge=config)
    assert result.status == "failed" and "AuthenticationError" in result.reason
    assert echoed not in result.reason and "Incorrect API key provided: [REDACTED]" in result.reason


def test_the_config_repr_hides_the_key(judge_config: JudgeConfig) -> None:
    assert "test-key" not in repr(judge_config) and "test-key" not in str(judge_config)


def test_cache_key_includes_the_endpoint(judge_server: JudgeServer, judge_config: JudgeConfig) -> None:
    other = JudgeServer()
    try:
        evaluate(RESOLUTION, conversation=CONVERSATION, engine="llm", judge=judge_config)
        evaluate(
            RESOLUTION,
            conversation=CONVERSATION,
            engine="llm",
            judge=replace(judge_config, base_url=other.base_url),
        )
    finally:
        other.stop()
    assert len(judge_server.requests) == 1 and len(other.requests) == 1  # same model name, another server


def test_a_cache_write_error_keeps_the_verdict_and_the_batch(
    judge_server: JudgeServer, judge_config: JudgeConfig, caplog: pytest.LogCaptureFixture
) -> None:
    judge = LLMJudge(judge_config)
    with sqlite3.connect(judge_config.cache_path) as con:  # the disk is full, as far as the cache knows
        con.execute(
            "create trigger full before insert on judge_cache begin select raise(abort, 'disk full'); end"
        )
    items = [CONVERSATION, CONVERSATION.replace("password", "PIN")]
    with caplog.at_level(logging.WARNING, "evals.llm"):
        batch = evaluate_batch(items, RESOLUTION, engine="llm", judge=judge)
    cached = len(judge.cache)
    judge.close()
    assert [r[RESOLUTION].status for r in batch.results] == ["completed", "completed"]
    assert batch.stats.failed_calls == 0 and cached == 0
    assert sum("not written" in r.getMessage() for r in caplog.records) == 2


@pytest.mark.parametrize("damage", ["not a database", "a file where its directory should be"])
def test_a_cache_that_cannot_be_opened_leaves_the_batch_uncached(
    judge_server: JudgeServer,
    judge_config: JudgeConfig,
    caplog: pytest.LogCaptureFixture,
    tmp_path,
    damage: str,
) -> None:
    if damage == "not a database":
        cache_path = tmp_path / "cache.sqlite"
        cache_path.write_bytes(b"garbage " * 512)
    else:
        (tmp_path / "cache").write_text("")
        cache_path = tmp_path / "cache" / "judge_cache.sqlite"
    with caplog.at_level(logging.WARNING, "evals.llm"):
        judge = LLMJudge(replace(judge_config, cache_path=cache_path))
        batch = evaluate_batch([CONVERSATION], RESOLUTION, engine="llm", judge=judge)
    judge.close()
    assert [r[RESOLUTION].status for r in batch.results] == ["completed"] and judge.cache is None
    assert any("cannot be opened" in r.getMessage() for r in caplog.records)


def test_a_cached_verdict_that_cannot_be_read_is_a_miss(
    judge_server: JudgeServer, judge_config: JudgeConfig, caplog: pytest.LogCaptureFixture
) -> None:
    evaluate(RESOLUTION, conversation=CONVERSATION, engine="llm", judge=judge_config)
    with sqlite3.connect(judge_config.cache_path) as con:
        con.execute("update judge_cache set reply = '{not json'")
    with caplog.at_level(logging.WARNING, "evals.llm"):
        result = evaluate(RESOLUTION, conversation=CONVERSATION, engine="llm", judge=judge_config)
    assert result.status == "completed" and not result.cached
    assert len(judge_server.requests) == 2  # asked again
    assert any("unreadable" in r.getMessage() for r in caplog.records)


def test_missing_endpoint_configuration_is_a_clear_error() -> None:
    with pytest.raises(JudgeConfigError, match="OPENAI_API_KEY"):
        LLMJudge(JudgeConfig(base_url=None, api_key=None, cache_path=None))


def test_config_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("JOURNEYS_JUDGE_MODEL", "llama3.1")
    monkeypatch.setenv("JOURNEYS_JUDGE_CONCURRENCY", "8")
    monkeypatch.setenv("JOURNEYS_LLM_CACHE", str(tmp_path / "c.sqlite"))
    config = JudgeConfig.from_env()
    assert (config.base_url, config.model, config.concurrency, config.cache_path) == (
        "http://127.0.0.1:9/v1",
        "llama3.1",
        8,
        tmp_path / "c.sqlite",
    )
    monkeypatch.setenv("JOURNEYS_JUDGE_TIMEOUT", "soon")
    with pytest.raises(JudgeConfigError, match="JOURNEYS_JUDGE_TIMEOUT"):
        JudgeConfig.from_env()


def test_not_applicable_reply_needs_no_score_on_the_scale(
    judge_server: JudgeServer, judge_config: JudgeConfig
) -> None:
    judge_server.script = [Reply(verdict=verdict(0, applicable=False, reason="Only a greeting."))]
    result = evaluate(QUALITY, conversation="Customer: hi\nAgent: hello", engine="llm", judge=judge_config)
    assert (result.status, result.score, result.reason) == ("not_applicable", None, "Only a greeting.")
