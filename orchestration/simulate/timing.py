"""When things happen: contact hours, gaps between contacts, and the pace of turns per channel.

All times are UTC nanoseconds since the epoch (what OTLP carries), kept at microsecond
resolution so that the warehouse's microsecond TIMESTAMPs hold them exactly.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

NS_PER_S = 1_000_000_000
NS_PER_MIN = 60 * NS_PER_S
NS_PER_HOUR = 60 * NS_PER_MIN
NS_PER_DAY = 24 * NS_PER_HOUR

# Relative contact volume per hour of day: quiet at night, peaks late morning and evening
# (streaming customers call after work). UTC stands in for the customers' local time.
HOURLY_WEIGHTS = (
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 3.6, 3.8,
    3.4, 3.2, 3.2, 3.0, 3.0, 3.2, 3.6, 3.8, 3.4, 2.4, 1.4, 0.6,
)
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.7, 0.65)  # Monday .. Sunday

# Seconds a customer takes to answer an agent, and an agent to answer a customer, per channel
# and agent type: (low, high) of a log-uniform draw.
CUSTOMER_PACE_S = {"chat": (6, 90), "voice": (2, 9), "sms": (30, 900), "email": (1200, 36000)}
AGENT_PACE_S = {
    ("chat", "ai"): (1, 5), ("chat", "human"): (15, 150),
    ("voice", "ai"): (1, 3), ("voice", "human"): (2, 10),
    ("sms", "ai"): (2, 8), ("sms", "human"): (60, 600),
    ("email", "ai"): (60, 300), ("email", "human"): (1800, 28800),
}
SPEECH_WORDS_PER_S = 2.5  # voice turns also take the time to say them


EPOCH = datetime(1970, 1, 1)


def to_ns(moment: datetime) -> int:
    """Naive UTC datetime to epoch nanoseconds (integer arithmetic: no float rounding)."""
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def from_ns(ns: int) -> datetime:
    """Naive UTC datetime, the warehouse's convention."""
    return EPOCH + timedelta(microseconds=ns // 1000)


def midnight_ns(day: date) -> int:
    return to_ns(datetime.combine(day, datetime.min.time()))


def day_of(ns: int) -> date:
    return from_ns(ns).date()


def jitter_us(rng: random.Random, low_s: float, high_s: float) -> int:
    """A log-uniform duration in nanoseconds, rounded to whole microseconds."""
    low, high = max(low_s, 1e-3), max(high_s, 1e-3)
    seconds = low * (high / low) ** rng.random()
    return int(seconds * 1_000_000) * 1000


def time_of_day_ns(rng: random.Random) -> int:
    """A moment of the day, never in its first or last minute, so that a conversation's first
    span (which opens seconds before the first turn) stays on the same day."""
    hour = rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
    moment = hour * NS_PER_HOUR + rng.randrange(NS_PER_HOUR // 1000) * 1000
    return min(max(moment, NS_PER_MIN), NS_PER_DAY - NS_PER_MIN)


def journey_start_ns(rng: random.Random, start: date, days: int) -> int:
    """A first contact inside the window, skewed to weekdays and contact hours."""
    offsets = list(range(days))
    weights = [WEEKDAY_WEIGHTS[(start + timedelta(days=o)).weekday()] for o in offsets]
    offset = rng.choices(offsets, weights=weights)[0]
    return midnight_ns(start + timedelta(days=offset)) + time_of_day_ns(rng)


def later_day_ns(rng: random.Random, after_ns: int, min_days: int, max_days: int) -> int:
    """A contact `min_days`..`max_days` calendar days after `after_ns`, at a contact hour."""
    day = day_of(after_ns) + timedelta(days=rng.randint(min_days, max_days))
    moment = midnight_ns(day) + time_of_day_ns(rng)
    return max(moment, after_ns + NS_PER_MIN)


def next_stage_ns(rng: random.Random, after_ns: int) -> int:
    """When a customer moves on to the next stage: often the same day, else within a week."""
    draw = rng.random()
    if draw < 0.45:
        return after_ns + jitter_us(rng, 300, 5 * 3600)
    if draw < 0.8:
        return later_day_ns(rng, after_ns, 1, 2)
    return later_day_ns(rng, after_ns, 3, 7)


def handoff_ns(rng: random.Random, after_ns: int, channel: str) -> int:
    """A hand-off inside a visit: minutes later (hours for email), always well under a day."""
    if channel == "email":
        return after_ns + jitter_us(rng, 1800, 6 * 3600)
    return after_ns + jitter_us(rng, 45, 20 * 60)


def retry_ns(rng: random.Random, after_ns: int) -> int:
    """Coming back within hours to the same stage: the same visit, not a re-entry."""
    return after_ns + jitter_us(rng, 20 * 60, 8 * 3600)


def return_ns(rng: random.Random, after_ns: int) -> int:
    """Coming back days later: more than 25 hours, so always a re-entry."""
    return max(later_day_ns(rng, after_ns, 2, 6), after_ns + 25 * NS_PER_HOUR)


def turn_gap_ns(rng: random.Random, channel: str, role: str, agent_type: str, text: str) -> int:
    """Time between the previous turn and this one."""
    low, high = CUSTOMER_PACE_S[channel] if role == "customer" else AGENT_PACE_S[(channel, agent_type)]
    gap = jitter_us(rng, low, high)
    if channel == "voice":
        gap += int(len(text.split()) / SPEECH_WORDS_PER_S * NS_PER_S) // 1000 * 1000
    return gap


def when_phrase_key(gap_ns: int) -> str:
    """How a customer would say how long ago something was."""
    if gap_ns < 20 * NS_PER_HOUR:
        return "same_day"
    if gap_ns < 2 * NS_PER_DAY:
        return "one_day"
    if gap_ns < 6 * NS_PER_DAY:
        return "few_days"
    return "week"
