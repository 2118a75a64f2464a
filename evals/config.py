"""The evaluator library's configuration, read from the environment in one place.

The library imports nothing from the platform (`orchestration/settings.py`), so it reads its own
variables: how to reach the LLM judge and where its verdict cache lives. `EvalsConfig.from_env()`
reads them all at once; `JudgeConfig.from_env()` builds on it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


class JudgeConfigError(ValueError):
    """The judge is not configured well enough to make a call; the message says what to set."""


# Environment variables whose values are credentials (evals/scrub.py removes them from any text).
SECRET_ENV_VARS: tuple[str, ...] = (
    "OPENAI_API_KEY",
    "JOURNEYS_INGEST_TOKEN",
    "JOURNEYS_APP_PASSWORD",
    "JOURNEYS_ALERT_WEBHOOK",  # webhook URLs (Slack, Teams) embed their token
)


def secret_values() -> list[str]:
    """The values of SECRET_ENV_VARS this process holds, read when asked (a key set later counts)."""
    return [value for name in SECRET_ENV_VARS if (value := os.environ.get(name))]


def _number(name: str) -> float | None:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise JudgeConfigError(f"{name}={value!r} is not a number") from None


def default_cache_path() -> Path:
    """`$JOURNEYS_LLM_CACHE`, else `$XDG_CACHE_HOME/journeys/llm_judge.sqlite`."""
    if configured := os.environ.get("JOURNEYS_LLM_CACHE"):
        return Path(configured).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "journeys" / "llm_judge.sqlite"


@dataclass(frozen=True)
class EvalsConfig:
    """What the environment sets; None where it sets nothing (the caller's default applies)."""

    judge_model: str | None = None  # JOURNEYS_JUDGE_MODEL
    base_url: str | None = None  # OPENAI_BASE_URL
    api_key: str | None = field(default=None, repr=False)  # OPENAI_API_KEY
    judge_timeout_s: float | None = None  # JOURNEYS_JUDGE_TIMEOUT
    judge_max_retries: float | None = None  # JOURNEYS_JUDGE_MAX_RETRIES
    judge_concurrency: float | None = None  # JOURNEYS_JUDGE_CONCURRENCY
    hybrid_confidence: float | None = None  # JOURNEYS_HYBRID_CONFIDENCE
    cache_path: Path = field(default_factory=default_cache_path)  # JOURNEYS_LLM_CACHE

    @classmethod
    def from_env(cls) -> EvalsConfig:
        return cls(
            judge_model=os.environ.get("JOURNEYS_JUDGE_MODEL") or None,
            base_url=os.environ.get("OPENAI_BASE_URL") or None,
            api_key=os.environ.get("OPENAI_API_KEY") or None,
            judge_timeout_s=_number("JOURNEYS_JUDGE_TIMEOUT"),
            judge_max_retries=_number("JOURNEYS_JUDGE_MAX_RETRIES"),
            judge_concurrency=_number("JOURNEYS_JUDGE_CONCURRENCY"),
            hybrid_confidence=_number("JOURNEYS_HYBRID_CONFIDENCE"),
            cache_path=default_cache_path(),
        )
