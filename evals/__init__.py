"""Conversation evaluators: resolution, quality and context retention.

```python
from evals import ConversationResolution, evaluate

r = ConversationResolution().evaluate(input=earlier_stages, output=transcript)
evaluate(["conversation_resolution", "customer_agent_conversation_quality"], conversation=transcript)
```

Engines: `local` (default: offline, deterministic), `llm` (an OpenAI-compatible judge),
`hybrid` (local, with the judge where the local verdict is unsure). No Dagster here.
"""

from evals.batch import BatchItem, BatchResult, evaluate_batch
from evals.evaluators import (
    ConversationResolution,
    CustomerAgentContextRetention,
    CustomerAgentConversationQuality,
    Evaluator,
    evaluate,
)
from evals.llm import JudgeConfig, JudgeConfigError, LLMJudge
from evals.registry import EVALUATOR_NAMES
from evals.scorer import ENGINES, Scorer
from evals.types import (
    EngineStats,
    EvalResult,
    Evidence,
    TokenUsage,
    TranscriptError,
    Turn,
    normalize_conversation,
)

__all__ = [
    "ENGINES",
    "EVALUATOR_NAMES",
    "BatchItem",
    "BatchResult",
    "ConversationResolution",
    "CustomerAgentContextRetention",
    "CustomerAgentConversationQuality",
    "EngineStats",
    "EvalResult",
    "Evaluator",
    "Evidence",
    "JudgeConfig",
    "JudgeConfigError",
    "LLMJudge",
    "Scorer",
    "TokenUsage",
    "TranscriptError",
    "Turn",
    "evaluate",
    "evaluate_batch",
    "normalize_conversation",
]
