"""Hand-made journeys whose mart values are worked out by hand in test_dbt_marts.py.

streaming_onboarding (sign-up > payment > content-prefs > app-install > first-watch):
- J1 (2026-W45): every stage; the payment chat is escalated to voice 5 minutes later (a
  hand-off, not a re-entry); channels chat, chat, voice, chat, chat, chat; CSAT 2 then 4.
- J2 (2026-W45): sign-up, payment, back to sign-up, back to payment (two re-entries after
  another stage); abandons payment; channels email, email, chat, chat; CSAT 1.
- J3 (2026-W46): sign-up abandoned, back 25 hours later (a re-entry by the gap), completed;
  skips payment to content-prefs; first segment missing; no CSAT.
- J4 (2026-W46): two sign-up voice calls 23 hours apart (same visit), then a stage the map does
  not declare ('upsell'); CSAT 5.
billing_dispute: J5 (2026-W45, CSAT 3) and J6, which starts on 2027-01-01, ISO week 2026-W53.
Not rollup-eligible: x1 (no journey id) and x2 (no stage); they must reach no mart.
"""

from __future__ import annotations

from datetime import datetime

from dbt_harness import Conversation, CsatAnswer, Verdict

PASS = "completed"


def v(score: float | None, passed: bool | None, status: str = PASS) -> Verdict:
    return (score, passed, status)


def t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def verdicts(resolution: Verdict, quality: Verdict, retention: Verdict) -> dict[str, Verdict]:
    return {"resolution": resolution, "quality": quality, "context_retention": retention}


NOT_APPLICABLE = v(None, None, "not_applicable")
ERRORED = v(None, None, "failed")

# One conversation a line or two, so that the hand computations in test_dbt_marts.py can be
# checked against it at a glance.
# fmt: off
CONVERSATIONS: list[Conversation] = [
    # J1
    Conversation("j1c1", "J1", "sign-up", "chat", t("2026-11-02 09:00"), t("2026-11-02 09:10"), "completed",
                 segment="consumer", consent="granted",
                 says=("Hi, my email is [EMAIL]",),
                 verdicts=verdicts(v(0.9, True), v(0.8, True), v(0.9, True))),
    Conversation("j1c2", "J1", "payment", "chat", t("2026-11-02 10:00"), t("2026-11-02 10:10"), "escalated",
                 segment="consumer", consent="granted",
                 says=("Please charge card [CARD], expiry 12/28",),
                 verdicts=verdicts(v(0.2, False), v(0.6, True), v(0.8, True))),
    Conversation("j1c3", "J1", "payment", "voice", t("2026-11-02 10:15"), t("2026-11-02 10:30"), "completed",
                 segment="consumer", consent="granted", agent_type="human",
                 verdicts=verdicts(v(0.8, True), v(0.7, True), ERRORED)),
    Conversation("j1c4", "J1", "content-prefs", "chat", t("2026-11-03 09:00"), t("2026-11-03 09:10"),
                 "completed", segment="consumer",
                 verdicts=verdicts(v(1.0, True), v(0.9, True), v(0.4, False))),
    Conversation("j1c5", "J1", "app-install", "chat", t("2026-11-03 12:00"), t("2026-11-03 12:10"),
                 "completed", segment="consumer",
                 verdicts=verdicts(v(0.6, True), v(0.5, True), v(0.3, False))),
    Conversation("j1c6", "J1", "first-watch", "chat", t("2026-11-04 20:00"), t("2026-11-04 20:10"),
                 "completed", segment="consumer",
                 verdicts=verdicts(v(0.7, True), v(0.8, True), v(0.9, True))),
    # J2
    Conversation("j2c1", "J2", "sign-up", "email", t("2026-11-03 08:00"), t("2026-11-03 08:30"), "completed",
                 segment="smb", consent="denied",
                 # Phone-shaped but not a number libphonenumber validates: the redactor keeps it,
                 # stage_compliance reports it, the leak check lets it pass.
                 says=("You can call me on (123) 456-7890 after six.",),
                 verdicts=verdicts(v(0.7, True), v(0.6, True), NOT_APPLICABLE)),
    Conversation("j2c2", "J2", "payment", "email", t("2026-11-03 09:00"), t("2026-11-03 09:20"), "abandoned",
                 segment="smb",
                 verdicts=verdicts(v(0.1, False), v(0.3, False), v(0.45, False))),
    Conversation("j2c3", "J2", "sign-up", "chat", t("2026-11-03 11:00"), t("2026-11-03 11:10"), "completed",
                 segment="smb", consent=" Withdrawn ",
                 says=("Send it to 221B Baker Street please.",),
                 agent_says=("Your details are [REDACTED].",),
                 verdicts=verdicts(v(0.9, True), v(0.9, True), v(0.5, True))),
    # Not scored yet: no evaluation rows at all.
    Conversation("j2c4", "J2", "payment", "chat", t("2026-11-05 10:00"), t("2026-11-05 10:10"), "abandoned",
                 segment="smb"),
    # J3
    Conversation("j3c1", "J3", "sign-up", "chat", t("2026-11-09 10:00"), t("2026-11-09 10:10"), "abandoned",
                 says=("My order 1234567890123 from 2026-11-09 cost $1,299.00",),
                 verdicts=verdicts(v(0.3, False), v(0.4, False), v(0.7, True))),
    Conversation("j3c2", "J3", "sign-up", "chat", t("2026-11-10 11:11"), t("2026-11-10 11:20"), "completed",
                 segment="enterprise",
                 verdicts=verdicts(v(0.8, True), v(0.8, True), v(0.9, True))),
    Conversation("j3c3", "J3", "content-prefs", "sms", t("2026-11-10 12:00"), t("2026-11-10 12:10"), None,
                 segment="consumer",
                 verdicts=verdicts(v(0.5, True), v(0.5, True), v(0.2, False))),
    # J4
    Conversation("j4c1", "J4", "sign-up", "voice", t("2026-11-10 09:00"), t("2026-11-10 09:05"), "completed",
                 agent_type="human",
                 says=("Ticket ORD-2026-1234 is about the plan",),
                 agent_says=("Write to [EMAIL] if it fails.",),
                 verdicts=verdicts(v(0.9, True), v(0.9, True), v(1.0, True))),
    Conversation("j4c2", "J4", "sign-up", "voice", t("2026-11-11 08:00"), t("2026-11-11 08:10"), "completed",
                 agent_type="human",
                 says=("I gave you <EMAIL> already",),
                 verdicts=verdicts(v(0.9, True), v(0.9, True), v(1.0, True))),
    Conversation("j4c3", "J4", "upsell", "chat", t("2026-11-11 09:00"), t("2026-11-11 09:10"), "abandoned",
                 verdicts=verdicts(v(0.4, False), v(0.4, False), v(0.4, False))),
    # billing_dispute
    Conversation("j5c1", "J5", "dispute-intake", "chat", t("2026-11-04 10:00"), t("2026-11-04 10:10"),
                 "completed", journey_name="billing_dispute",
                 verdicts=verdicts(v(0.8, True), v(0.8, True), v(0.8, True))),
    Conversation("j6c1", "J6", "dispute-intake", "chat", t("2027-01-01 10:00"), t("2027-01-01 10:10"),
                 "abandoned", journey_name="billing_dispute",
                 verdicts=verdicts(v(0.2, False), v(0.8, True), v(0.8, True))),
    # Not rollup-eligible.
    Conversation("x1", None, "sign-up", "chat", t("2026-11-03 10:00"), t("2026-11-03 10:05"), "completed",
                 says=("mail me at [EMAIL]",)),
    Conversation("x2", "J4", None, "chat", t("2026-11-10 10:00"), t("2026-11-10 10:05"), "completed"),
]
# fmt: on

CSAT_ANSWERS: list[CsatAnswer] = [
    CsatAnswer("e1", "J1", 2, t("2026-11-03 13:00")),
    CsatAnswer("e2", "J1", 4, t("2026-11-04 21:00")),
    CsatAnswer("e3", "J2", 1, t("2026-11-05 11:00")),
    CsatAnswer("e4", "J4", 5, t("2026-11-11 10:00")),
    CsatAnswer("e5", "J5", 3, t("2026-11-04 11:00"), journey_name="billing_dispute"),
]
