"""Two weeks of streaming_onboarding with a planted drop in the second, for the closed-loop marts.

2026-W46 (Nov 9-15, 40 journeys, the baseline): 30 complete sign-up (10 abandon there); of
those 30, payment over chat (15) completes 14 and over voice (15) completes 13; the 27 go
through content-prefs, app-install (context retention 0.9) and first-watch.

2026-W47 (Nov 16-22, 40 journeys, the drop; journeys k < 6 are segment smb):
- sign-up completes for all 40 (better than W46);
- payment over chat (k < 20) resolves and completes only 8 (k < 8); over voice (k >= 20) 18
  (k < 38);
- the 26 at content-prefs complete it, but its resolution evaluator fails the 6 smb
  conversations;
- app-install forgets the earlier stages: context retention 0.4 (failed) for all 26; only
  k in {0..7, 20, 21} complete it (and first-watch), the other 16 abandon unresolved.
Every journey that completes first-watch answers CSAT 5, every other 2.

billing_dispute (Nov 10, three journeys) does what the map does not declare: one skips
identity-check, one starts on fax, one visits an undeclared 'escalation-desk' and goes back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dbt_harness import Conversation, CsatAnswer, Verdict

STREAMING = ("sign-up", "payment", "content-prefs", "app-install", "first-watch")
GOOD: Verdict = (0.9, True, "completed")
BAD: Verdict = (0.2, False, "completed")
FORGOT: Verdict = (0.4, False, "completed")
QUALITY: Verdict = (0.8, True, "completed")


def _verdicts(resolved: bool, retention: Verdict = GOOD) -> dict[str, Verdict]:
    return {"resolution": GOOD if resolved else BAD, "quality": QUALITY, "context_retention": retention}


def _baseline_outcomes(k: int) -> dict[str, bool]:
    """W46: which stages journey k reaches and completes (a missing stage was not reached)."""
    if k >= 30:
        return {"sign-up": False}
    completes_payment = k < 14 if k < 15 else k < 28
    if not completes_payment:
        return {"sign-up": True, "payment": False}
    return dict.fromkeys(STREAMING, True)


def _drop_outcomes(k: int) -> dict[str, bool]:
    """W47, as in the module docstring."""
    completes_payment = k < 8 if k < 20 else k < 38
    if not completes_payment:
        return {"sign-up": True, "payment": False}
    completes_install = k < 8 or k in (20, 21)
    outcomes = {"sign-up": True, "payment": True, "content-prefs": True, "app-install": completes_install}
    if completes_install:
        outcomes["first-watch"] = True
    return outcomes


def _journey(cohort: str, k: int, first_day: datetime) -> tuple[list[Conversation], CsatAnswer]:
    journey_id = f"{cohort}-{k:02d}"
    day = first_day + timedelta(days=k % 7)
    drop = cohort == "W47"
    outcomes = _drop_outcomes(k) if drop else _baseline_outcomes(k)
    segment = "smb" if drop and k < 6 else "consumer"
    conversations = []
    for hour, (stage, completed) in enumerate(outcomes.items(), start=9):
        channel = ("chat" if k < (20 if drop else 15) else "voice") if stage == "payment" else "chat"
        resolved = completed and not (drop and stage == "content-prefs" and segment == "smb")
        retention = FORGOT if drop and stage == "app-install" else GOOD
        started = day.replace(hour=hour)
        conversations.append(
            Conversation(
                f"{journey_id}-{stage}", journey_id, stage, channel, started, started + timedelta(minutes=20),
                "completed" if completed else "abandoned", segment=segment,
                verdicts=_verdicts(resolved, retention),
            )
        )  # fmt: skip
    finished = outcomes.get("first-watch", False)
    answer = CsatAnswer(f"csat-{journey_id}", journey_id, 5 if finished else 2, day.replace(hour=18))
    return conversations, answer


def _billing() -> list[Conversation]:
    day = datetime(2026, 11, 10)
    paths = {
        "B1": [("dispute-intake", "chat"), ("investigation", "chat"), ("refund-decision", "chat")],
        "B2": [("dispute-intake", "fax"), ("identity-check", "chat")],
        "B3": [("dispute-intake", "chat"), ("escalation-desk", "voice"), ("identity-check", "chat"),
               ("dispute-intake", "chat")],
    }  # fmt: skip
    return [
        Conversation(
            f"{journey_id}-{i}", journey_id, stage, channel, day.replace(hour=9 + i),
            day.replace(hour=9 + i, minute=20), "completed", journey_name="billing_dispute",
            verdicts=_verdicts(True),
        )
        for journey_id, path in paths.items()
        for i, (stage, channel) in enumerate(path)
    ]  # fmt: skip


def planted_drop() -> tuple[list[Conversation], list[CsatAnswer]]:
    conversations: list[Conversation] = _billing()
    answers: list[CsatAnswer] = []
    for cohort, first_day in (("W46", datetime(2026, 11, 9)), ("W47", datetime(2026, 11, 16))):
        for k in range(40):
            journey, answer = _journey(cohort, k, first_day)
            conversations += journey
            answers.append(answer)
    return conversations, answers
