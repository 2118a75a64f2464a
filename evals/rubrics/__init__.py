"""Versioned rubrics for the LLM judge.

A rubric file is named `<name>.v<N>.md`; its stem is the version recorded with every score and
used in the judge cache key, so changing a rubric means adding a new file and pointing the
evaluator's `rubric` in `evals/registry.py` at it (old scores keep saying which rubric produced
them, and the cache never serves a verdict made under another rubric).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from evals import registry


@dataclass(frozen=True)
class Rubric:
    evaluator: str
    version: str
    scale: tuple[float, ...]
    text: str

    def to_unit(self, raw: float) -> float:
        """Map a raw rubric score to [0, 1] (a 1-5 rating becomes (rating - 1) / 4)."""
        if not any(abs(raw - allowed) < 1e-9 for allowed in self.scale):
            raise ValueError(f"score {raw!r} is not on the {self.version} scale {list(self.scale)}")
        low, high = self.scale[0], self.scale[-1]
        return (raw - low) / (high - low)


def load_rubric(evaluator: str) -> Rubric:
    """The rubric the registry names for `evaluator`, read from its file."""
    spec = registry.spec(evaluator)
    home = spec.rubric_home or files(__package__)
    text = home.joinpath(f"{spec.rubric}.md").read_text(encoding="utf-8")
    return Rubric(evaluator, spec.rubric, spec.scale, text)
