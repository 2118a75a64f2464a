"""How a channel changes the way people write or speak: email letters, terse texts, spoken calls.

Only surface form changes here; what is said (and so the dialogue's meaning) is decided in
`dialogue.py`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping

from orchestration.simulate.phrasebook import phrasebook, pick

_EMAIL = re.compile(r"\b([\w.+-]+)@([\w-]+)\.(\w+)\b")
_SMS_SHORTHAND = (("you", "u"), ("please", "pls"), ("thanks", "thx"), ("okay", "ok"), ("are", "r"))


def _spoken_email(match: re.Match[str]) -> str:
    local, domain, tld = match.groups()
    return f"{local.replace('.', ' dot ').replace('_', ' underscore ')} at {domain} dot {tld}"


def _lower_first(text: str) -> str:
    """Lower-case a sentence's first word, but not a code or a name in capitals ("GMU-HX5")."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _sms(text: str, rng: random.Random) -> str:
    if rng.random() < 0.35:
        for word, short in _SMS_SHORTHAND:
            text = re.sub(rf"\b{word}\b", short, text, flags=re.IGNORECASE)
    if rng.random() < 0.5:
        text = _lower_first(text)
    return text.rstrip(".") if rng.random() < 0.6 else text


def customer_style(text: str, channel: str, slots: Mapping[str, str], rng: random.Random) -> str:
    """A customer's words as they arrive on `channel`."""
    common = phrasebook()["common"]
    if channel == "voice":
        text = _EMAIL.sub(_spoken_email, text)
        return f"{pick(common['voice_fillers'], slots, rng)} {_lower_first(text)}" if rng.random() < 0.3 else text
    if channel == "sms":
        return _sms(text, rng)
    if channel == "email":
        opening = pick(common["email_customer_open"], slots, rng)
        return f"{opening}\n\n{text}\n\n{pick(common['email_customer_sign'], slots, rng)}"
    if channel == "chat" and rng.random() < 0.15:
        return _lower_first(text).rstrip(".")
    return text


def agent_style(text: str, channel: str, slots: Mapping[str, str], rng: random.Random) -> str:
    """An agent's words as sent on `channel` (email gets a salutation and a signature)."""
    if channel == "email":
        signature = pick(phrasebook()["common"]["email_agent_sign"], slots, rng)
        if text.startswith(("Hi ", "Hello ")):  # a hand-off already opens with the customer's name
            return f"{text}\n\n{signature}"
        return f"Hi {slots['first_name']},\n\n{text}\n\n{signature}"
    return text
