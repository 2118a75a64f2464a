"""What the evaluators take in and give back: transcripts, results, engine statistics.

Every engine returns the same `EvalResult`, so callers (the warehouse scorer, notebooks, the
calibration report) never need to know which engine produced a score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, NamedTuple

Status = Literal["completed", "failed", "not_applicable"]
Role = Literal["customer", "agent"]
DecidedBy = Literal["local", "llm"]

COMPLETED: Status = "completed"
FAILED: Status = "failed"
NOT_APPLICABLE: Status = "not_applicable"

# Speaker names seen in chat logs, LLM message lists and call-centre exports. `None` means the
# turn is kept out of the transcript (system prompts and tool output are not conversation).
_ROLE_ALIASES: dict[str, Role | None] = {
    "customer": "customer",
    "user": "customer",
    "human": "customer",
    "client": "customer",
    "caller": "customer",
    "agent": "agent",
    "assistant": "agent",
    "bot": "agent",
    "ai": "agent",
    "representative": "agent",
    "rep": "agent",
    "support": "agent",
    "system": None,
    "developer": None,
    "tool": None,
    "function": None,
}

_SPEAKER_LABEL = re.compile(
    r"(?:^|\n|\s/\s)\s*(" + "|".join(sorted(_ROLE_ALIASES, key=len, reverse=True)) + r")\s*:\s*",
    re.IGNORECASE,
)


class TranscriptError(ValueError):
    """A conversation could not be read; the message says which turn and why."""


class Turn(NamedTuple):
    """One customer or agent turn. A named tuple: turns are created and hashed in the hot loop."""

    index: int  # position in the caller's list (system turns keep their slot), used in evidence
    role: Role
    text: str


TurnLike = Mapping[str, Any] | Turn
ConversationLike = str | Sequence[TurnLike]


def _role_of(position: int, raw_role: Any) -> Role | None:
    if not isinstance(raw_role, str) or not raw_role.strip():
        raise TranscriptError(f"turn {position}: missing 'role'")
    key = raw_role.strip().lower()
    if key not in _ROLE_ALIASES:
        raise TranscriptError(
            f"turn {position}: unknown role {raw_role!r}; use customer/agent or user/assistant"
        )
    return _ROLE_ALIASES[key]


def _turn_from_mapping(position: int, item: Mapping[str, Any]) -> Turn | None:
    # `role` before `speaker` and `content` before `text`, a key present with None included.
    # Every turn of every transcript and context comes through here, hence the plain lookups.
    raw_role = item["role"] if "role" in item else item.get("speaker")
    if type(raw_role) is str and raw_role in _ROLE_ALIASES:
        role = _ROLE_ALIASES[raw_role]
    else:
        role = _role_of(position, raw_role)
    if role is None:
        return None
    text = item["content"] if "content" in item else item.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise TranscriptError(f"turn {position}: 'content' must be a string, got {type(text).__name__}")
    return Turn(position, role, text.strip())


def _turns_from_text(text: str) -> tuple[Turn, ...]:
    matches = list(_SPEAKER_LABEL.finditer(text))
    if not matches:
        if not text.strip():
            return ()
        raise TranscriptError(
            "plain-text transcript has no speaker labels; write one turn per line as "
            "'Customer: ...' / 'Agent: ...'"
        )
    turns: list[Turn] = []
    for position, match in enumerate(matches):
        end = matches[position + 1].start() if position + 1 < len(matches) else len(text)
        role = _ROLE_ALIASES[match.group(1).lower()]
        if role is not None:
            turns.append(Turn(position, role, " ".join(text[match.end() : end].split())))
    return tuple(turns)


def normalize_conversation(conversation: ConversationLike | None) -> tuple[Turn, ...]:
    """Turn any accepted transcript form into customer/agent `Turn`s.

    Accepts a list of `{role, content}` (or `{role, text}`) mappings with roles
    customer/agent, user/assistant (system/tool turns are dropped), a list of `Turn`s, or plain
    text with one `Customer: ...` / `Agent: ...` label per turn. Raises `TranscriptError`."""
    if conversation is None:
        return ()
    if isinstance(conversation, str):
        return _turns_from_text(conversation)
    if isinstance(conversation, Mapping):
        raise TranscriptError("a conversation is a list of turns or a text, not a single mapping")
    if isinstance(conversation, tuple) and all(type(item) is Turn for item in conversation):
        return conversation  # already normalised
    turns: list[Turn] = []
    for position, item in enumerate(conversation):
        if type(item) is dict or isinstance(item, Mapping):
            turn = _turn_from_mapping(position, item)
            if turn is not None:
                turns.append(turn)
        elif isinstance(item, Turn):
            turns.append(item)
        else:
            raise TranscriptError(
                f"turn {position}: expected a mapping with role/content, got {type(item).__name__}"
            )
    return tuple(turns)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One quoted turn behind a verdict. `source` is `conversation`, or `context[k]` for the k-th
    item of the earlier context given as `input` (a transcript of an earlier stage, or a stated
    fact); `turn` indexes that transcript (for a stated fact it is k)."""

    turn: int
    quote: str
    note: str
    source: str = "conversation"


@dataclass(frozen=True, slots=True)
class TokenUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class EvalResult:
    """The verdict of one evaluator on one conversation.

    `score` is in [0, 1] when `status == "completed"` and None otherwise; `passed` follows
    `score >= threshold`. A failed judge call is `status="failed"` with the error in `reason`
    (never a silent 0). `usage` and `cached` are set by the LLM judge. `decided_by` says whose
    verdict it is: `llm` for the judge's (a failed call included), `local` otherwise, such as a
    `hybrid` result whose judge call failed and kept the local verdict."""

    eval_name: str
    score: float | None
    passed: bool | None
    reason: str
    status: Status
    evidence: tuple[Evidence, ...]
    engine: str
    rubric_version: str
    latency_ms: float
    threshold: float = 0.5
    usage: TokenUsage | None = None
    cached: bool = False
    decided_by: DecidedBy = "local"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def evidence_json(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.evidence]


def make_result(
    eval_name: str,
    *,
    score: float | None,
    reason: str,
    status: Status,
    evidence: Iterable[Evidence] = (),
    engine: str,
    rubric_version: str,
    latency_ms: float,
    threshold: float,
    usage: TokenUsage | None = None,
    cached: bool = False,
    decided_by: DecidedBy = "local",
) -> EvalResult:
    """Build a result, enforcing the contract: a score only when completed, clipped to [0, 1]."""
    if status != COMPLETED:
        score = None
    elif score is None:
        raise ValueError(f"{eval_name}: a completed result needs a score")
    else:
        score = min(1.0, max(0.0, float(score)))
    return EvalResult(
        eval_name=eval_name,
        score=score,
        passed=None if score is None else score >= threshold,
        reason=reason,
        status=status,
        evidence=tuple(evidence),
        engine=engine,
        rubric_version=rubric_version,
        latency_ms=latency_ms,
        threshold=threshold,
        usage=usage,
        cached=cached,
        decided_by=decided_by,
    )


@dataclass
class EngineStats:
    """What an engine spent. `judged` counts results the LLM judge decided (from cache or a
    call); for `hybrid`, `judged / evaluated` is the share the judge decided. `calls` counts
    every request made to the judge (cache hits excluded), `failed_calls` those that gave no
    verdict."""

    evaluated: int = 0
    judged: int = 0
    calls: int = 0
    cache_hits: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def judged_share(self) -> float:
        return self.judged / self.evaluated if self.evaluated else 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def failure_rate(self) -> float:
        """The judge's failed calls over its calls (0 when it was not called)."""
        return self.failed_calls / self.calls if self.calls else 0.0

    def merge(self, other: EngineStats) -> None:
        self.evaluated += other.evaluated
        self.judged += other.judged
        self.calls += other.calls
        self.cache_hits += other.cache_hits
        self.failed_calls += other.failed_calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens

    def as_dict(self) -> dict[str, float | int]:
        return {
            "evaluated": self.evaluated,
            "judged": self.judged,
            "judged_share": round(self.judged_share, 4),
            "calls": self.calls,
            "cache_hits": self.cache_hits,
            "failed_calls": self.failed_calls,
            "failure_rate": round(self.failure_rate, 4),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }
