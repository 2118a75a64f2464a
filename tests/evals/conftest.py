"""Shared fixtures for the evaluator tests: a loopback judge server and judge configs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from judge_server import JudgeServer

from evals import JudgeConfig


@pytest.fixture
def judge_server() -> Iterator[JudgeServer]:
    server = JudgeServer()
    yield server
    server.stop()


@pytest.fixture
def judge_config(judge_server: JudgeServer, tmp_path: Path) -> JudgeConfig:
    """A judge pointed at the loopback server, with a fresh cache and fast retries."""
    return JudgeConfig(
        model="test-judge",
        base_url=judge_server.base_url,
        api_key="test-key",
        timeout_s=5.0,
        max_retries=3,
        concurrency=2,
        cache_path=tmp_path / "judge_cache.sqlite",
    )
