"""The simulator's phrase bank (`phrases.yaml`) and its tiny template language.

`[a|b|c]` picks one alternative with the caller's seeded RNG, then `{slot}` is filled from a
mapping. Alternatives are resolved before slots, so slot values (emails, codes) are never
parsed as template syntax.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PHRASES_PATH = Path(__file__).with_name("phrases.yaml")

_INNERMOST_CHOICE = re.compile(r"\[([^\[\]]*)\]")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.!?])")
_RUNS_OF_SPACES = re.compile(r"[ \t]{2,}")


@cache
def phrasebook() -> dict[str, Any]:
    """The parsed phrase bank (read once per process)."""
    return yaml.safe_load(PHRASES_PATH.read_text())


def render(template: str, slots: Mapping[str, str], rng: random.Random) -> str:
    """Expand alternatives, fill slots, and tidy the spacing empty alternatives leave behind."""
    text = template
    while "[" in text and (match := _INNERMOST_CHOICE.search(text)):
        text = text[: match.start()] + rng.choice(match.group(1).split("|")) + text[match.end() :]
    if "{" in text or "}" in text:  # most alternatives have no slot (and no "}}" escape)
        text = text.format_map(slots)
    # Most phrases need no tidying; the substring test is much cheaper than the two regexes.
    if "\t" in text or "  " in text or " ," in text or " ." in text or " !" in text or " ?" in text:
        text = _RUNS_OF_SPACES.sub(" ", _SPACE_BEFORE_PUNCT.sub(r"\1", text))
    return text.strip()


def pick(templates: list[str], slots: Mapping[str, str], rng: random.Random) -> str:
    """Render one of several paraphrases."""
    return render(rng.choice(templates), slots, rng)


def stage_script(journey: str, stage: str) -> dict[str, Any]:
    """The phrases of one stage; stages the bank does not know get the generic script."""
    bank = phrasebook()
    known = bank["journeys"].get(journey, {}).get("stages", {}).get(stage)
    return known if known is not None else bank["generic"]
