"""`journeys demo`'s window: every simulated conversation is over before the day the demo runs,
so no day fails the quality gate's check for timestamps in the future (tried as a user at 03:37
UTC, the month ending yesterday failed its last day: email threads run past midnight)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from orchestration.commands.demo import _window
from orchestration.quality import FUTURE_SKEW
from orchestration.settings import Settings
from orchestration.simulate import simulate


def test_every_demo_conversation_is_over_before_the_day_the_demo_runs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("JOURNEYS_DATA_DIR", str(tmp_path / "data"))
    today = date(2026, 12, 8)
    window = _window(Settings.from_env(), days=3, journeys=300, seed=7, today=today)
    truth = simulate(
        tmp_path / "landing", journeys=window.journeys, start=window.dates[0], days=window.days, seed=window.seed
    ).truth
    latest = max(c.ended_at for c in truth.conversations)
    # At today's first minute, the quality gate accepts times up to FUTURE_SKEW ahead.
    assert latest.replace(tzinfo=UTC) < datetime.combine(today, datetime.min.time(), UTC) + FUTURE_SKEW
    assert window.dates[-1] < today - timedelta(days=1)
