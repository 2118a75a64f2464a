"""The `llm` engine: an LLM judge behind any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama).

Retries with exponential backoff on 429, 5xx, connection errors and timeouts are the `openai`
client's own (`max_retries`, `timeout`); the judge adds the rubric prompt, a JSON schema for the
reply (validated with pydantic, so a malformed reply is a `failed` result, never a guessed
score), temperature 0, token accounting and the persistent verdict cache.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import openai
import pydantic
from pydantic import BaseModel, ConfigDict, field_validator

from evals import registry
from evals.analysis import ContextLike, is_transcript
from evals.cache import CachedVerdict, JudgeCache, cache_key
from evals.config import EvalsConfig, JudgeConfigError, default_cache_path
from evals.rubrics import Rubric, load_rubric
from evals.scrub import scrub_secrets
from evals.types import (
    COMPLETED,
    FAILED,
    NOT_APPLICABLE,
    EngineStats,
    EvalResult,
    Evidence,
    TokenUsage,
    Turn,
    make_result,
    normalize_conversation,
)

ENGINE = "llm"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JudgeConfig:
    """How to reach the judge. `from_env()` takes what the environment sets from
    `evals.config.EvalsConfig` (OPENAI_BASE_URL, OPENAI_API_KEY, JOURNEYS_JUDGE_MODEL,
    JOURNEYS_JUDGE_TIMEOUT, JOURNEYS_JUDGE_MAX_RETRIES, JOURNEYS_JUDGE_CONCURRENCY,
    JOURNEYS_LLM_CACHE and JOURNEYS_HYBRID_CONFIDENCE), the defaults below for the rest.

    `cache_path=None` disables the cache. `hybrid_confidence`: the hybrid engine sends a
    conversation to the judge when the local verdict's confidence is below it."""

    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)  # a repr is logged and shown in tracebacks
    timeout_s: float = 60.0
    max_retries: int = 4
    concurrency: int = 4
    cache_path: Path | None = field(default_factory=default_cache_path)
    response_format: Literal["json_schema", "json_object"] = "json_schema"
    max_tokens: int = 600
    hybrid_confidence: float = 0.6

    @classmethod
    def from_env(cls, **overrides: Any) -> JudgeConfig:
        env = EvalsConfig.from_env()
        config = cls(
            model=env.judge_model or cls.model,
            base_url=env.base_url,
            api_key=env.api_key,
            timeout_s=cls.timeout_s if env.judge_timeout_s is None else env.judge_timeout_s,
            max_retries=cls.max_retries if env.judge_max_retries is None else int(env.judge_max_retries),
            concurrency=cls.concurrency if env.judge_concurrency is None else int(env.judge_concurrency),
            hybrid_confidence=cls.hybrid_confidence if env.hybrid_confidence is None else env.hybrid_confidence,
            cache_path=env.cache_path,
        )
        return replace(config, **overrides)

    def validate(self) -> None:
        if self.concurrency < 1:
            raise JudgeConfigError(f"judge concurrency must be >= 1, got {self.concurrency}")
        if self.max_retries < 0:
            raise JudgeConfigError(f"judge max_retries must be >= 0, got {self.max_retries}")
        if not self.api_key and not self.base_url:
            raise JudgeConfigError(
                "the llm engine needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local vLLM/Ollama server)"
            )


class _Quote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    turn: int
    quote: str


class JudgeReply(BaseModel):
    """The JSON object the judge must return (also sent as the response schema).

    Constraints are checked by validators rather than declared in the schema, because strict
    structured-output modes accept only a subset of JSON Schema keywords."""

    model_config = ConfigDict(extra="forbid")
    applicable: bool
    score: float
    reason: str
    evidence: list[_Quote]

    @field_validator("reason")
    @classmethod
    def _reason_is_given(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("the reason is empty")
        return reason

    @field_validator("evidence")
    @classmethod
    def _turns_are_indices(cls, evidence: list[_Quote]) -> list[_Quote]:
        if any(q.turn < 0 for q in evidence):
            raise ValueError("evidence turn numbers must be >= 0")
        return evidence


_OUTPUT_INSTRUCTIONS = """
## Output

Reply with one JSON object and nothing else:
{{"applicable": true|false, "score": <one of {scale}>, "reason": "<one or two sentences>",
 "evidence": [{{"turn": <turn number>, "quote": "<short exact quote>"}}]}}
When `applicable` is false, put {low} in `score` and say why in `reason`.
"""


def render_turns(turns: tuple[Turn, ...]) -> str:
    return "\n".join(
        f"[{t.index}] {'Customer' if t.role == 'customer' else 'Agent'}: {t.text}" for t in turns
    )


def render_context(context: ContextLike) -> str:
    """The earlier context as the judge reads it: earlier transcripts in full, or a fact list."""
    if context is None:
        return ""
    items = [context] if is_transcript(context) else list(context)
    blocks = []
    for position, item in enumerate(items):
        if is_transcript(item):
            blocks.append(f"Earlier conversation {position}:\n{render_turns(normalize_conversation(item))}")
        else:
            text = item.get("value") if isinstance(item, dict) else getattr(item, "text", item)
            blocks.append(f"- fact: {text}")
    return "\n\n".join(blocks)


def build_prompt(evaluator: str, turns: tuple[Turn, ...], context: ContextLike) -> str:
    parts = []
    if registry.spec(evaluator).reads_context:
        rendered = render_context(context)
        parts.append(
            f"EARLIER CONTEXT (before this conversation):\n{rendered}"
            if rendered
            else "EARLIER CONTEXT: none given."
        )
    parts.append(f"CONVERSATION TO GRADE:\n{render_turns(turns)}")
    return "\n\n".join(parts)


class LLMJudge:
    """Grades conversations with an LLM. Safe to call from several threads; `stats` counts
    calls, cache hits, failures and tokens."""

    def __init__(self, config: JudgeConfig | None = None, client: openai.OpenAI | None = None):
        self.config = config or JudgeConfig.from_env()
        self.config.validate()
        self.client = client or openai.OpenAI(
            base_url=self.config.base_url,
            # A local server (Ollama, vLLM) accepts any key; the client insists on one.
            api_key=self.config.api_key or "not-needed",
            timeout=self.config.timeout_s,
            max_retries=self.config.max_retries,
        )
        self.cache = self._open_cache(self.config.cache_path) if self.config.cache_path else None
        self.stats = EngineStats()
        self._lock = threading.Lock()
        self._rubrics: dict[str, Rubric] = {}

    def rubric(self, evaluator: str) -> Rubric:
        if evaluator not in self._rubrics:
            self._rubrics[evaluator] = load_rubric(evaluator)
        return self._rubrics[evaluator]

    def _count(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self.stats, name, getattr(self.stats, name) + delta)

    def _response_format(self) -> dict[str, Any]:
        if self.config.response_format == "json_object":
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": "judge_reply", "strict": True, "schema": JudgeReply.model_json_schema()},
        }

    def _system_prompt(self, rubric: Rubric) -> str:
        return rubric.text + _OUTPUT_INSTRUCTIONS.format(
            scale=", ".join(f"{s:g}" for s in rubric.scale), low=f"{rubric.scale[0]:g}"
        )

    def _call(self, system: str, rubric: Rubric, prompt: str) -> tuple[dict[str, Any], TokenUsage]:
        # Counted before the request, so that a call that fails is a call: failures / calls is the
        # judge's failure rate.
        self._count(calls=1)
        completion = self.client.chat.completions.create(
            model=self.config.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            temperature=0,
            max_tokens=self.config.max_tokens,
            response_format=self._response_format(),  # type: ignore[arg-type]
        )
        usage = TokenUsage(
            completion.usage.prompt_tokens if completion.usage else 0,
            completion.usage.completion_tokens if completion.usage else 0,
        )
        self._count(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)
        if not completion.choices or not completion.choices[0].message.content:
            raise ValueError("the judge returned an empty reply")
        reply = JudgeReply.model_validate_json(completion.choices[0].message.content)
        if reply.applicable:
            rubric.to_unit(reply.score)  # rejects a score off the rubric's scale
        return reply.model_dump(), usage

    def judge(
        self, evaluator: str, turns: tuple[Turn, ...], context: ContextLike = None, *, threshold: float = 0.5
    ) -> EvalResult:
        """One verdict. Never raises for a judge failure: that is a `failed` result with the error."""
        started = time.perf_counter()
        rubric = self.rubric(evaluator)
        system, prompt = self._system_prompt(rubric), build_prompt(evaluator, turns, context)
        # The whole prompt is hashed: a changed instruction can never be served an old verdict.
        key = cache_key(
            evaluator, rubric.version, self.config.model, f"{system}\n{prompt}", self.config.base_url
        )
        cached = self._cached(key)
        try:
            if cached is not None:
                self._count(cache_hits=1)
                reply, usage = cached.reply, TokenUsage(cached.prompt_tokens, cached.completion_tokens)
            else:
                reply, usage = self._call(system, rubric, prompt)
                self._store(key, evaluator, rubric.version, prompt, reply, usage)
        except (openai.OpenAIError, pydantic.ValidationError, ValueError, json.JSONDecodeError) as exc:
            self._count(failed_calls=1)
            return make_result(
                evaluator,
                score=None,
                status=FAILED,
                engine=ENGINE,
                rubric_version=rubric.version,
                reason=f"Judge call failed ({type(exc).__name__}): {_describe_error(exc, self.config.api_key)}",
                latency_ms=(time.perf_counter() - started) * 1000,
                threshold=threshold,
                decided_by="llm",
            )
        status = COMPLETED if reply["applicable"] else NOT_APPLICABLE
        return make_result(
            evaluator,
            score=rubric.to_unit(reply["score"]) if status == COMPLETED else None,
            reason=reply["reason"],
            status=status,
            evidence=[Evidence(q["turn"], q["quote"], "judge") for q in reply["evidence"]],
            engine=ENGINE,
            rubric_version=rubric.version,
            latency_ms=(time.perf_counter() - started) * 1000,
            threshold=threshold,
            usage=usage,
            cached=cached is not None,
            decided_by="llm",
        )

    # The cache saves money; it must never cost a verdict. A cache that cannot be opened is no
    # cache, an entry that cannot be read is a miss, one that cannot be written leaves the verdict
    # uncached, and each is logged.
    @staticmethod
    def _open_cache(path: Path) -> JudgeCache | None:
        try:
            return JudgeCache(path)
        except (sqlite3.Error, OSError) as exc:
            logger.warning("judge cache %s cannot be opened, judging without it: %s", path, exc)
            return None

    def _cached(self, key: str) -> CachedVerdict | None:
        if self.cache is None:
            return None
        try:
            return self.cache.get(key)
        except (sqlite3.Error, ValueError) as exc:  # ValueError: a stored reply that is not JSON
            logger.warning("judge cache %s unreadable, calling the judge: %s", self.cache.path, exc)
            return None

    def _store(
        self,
        key: str,
        evaluator: str,
        rubric_version: str,
        prompt: str,
        reply: dict[str, Any],
        usage: TokenUsage,
    ) -> None:
        if self.cache is None:
            return
        try:
            self.cache.put(
                key,
                evaluator=evaluator,
                rubric_version=rubric_version,
                model=self.config.model,
                prompt=prompt,
                reply=reply,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
            )
        except sqlite3.Error as exc:
            logger.warning(
                "judge cache %s not written, the verdict is kept uncached: %s", self.cache.path, exc
            )

    def close(self) -> None:
        self.client.close()
        if self.cache is not None:
            self.cache.close()


def _describe_error(exc: BaseException, api_key: str | None) -> str:
    """A one-line error for the result's reason, which is stored and shown: the fields a malformed
    reply got wrong, or the first line of the client's message with any secret scrubbed (a
    provider's 401 body may echo the key it was sent)."""
    if isinstance(exc, pydantic.ValidationError):
        problems = [f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()]
        return "malformed reply (" + "; ".join(problems)[:300] + ")"
    text = scrub_secrets(str(exc), [api_key]).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
