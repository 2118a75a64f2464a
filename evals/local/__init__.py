"""The `local` engine's scorers; `evals.local.engine.local_verdicts` runs them."""

from __future__ import annotations

from evals.local.verdict import LOCAL_VERSION, LocalVerdict

__all__ = ["LOCAL_VERSION", "LocalVerdict"]
