"""`journeys simulate` on the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from orchestration.cli import main
from orchestration.simulate import GroundTruth


def test_simulate_command_writes_files_truth_and_a_summary(tmp_path):
    out, truth = tmp_path / "landing", tmp_path / "truth.json"
    result = CliRunner().invoke(main, ["simulate", "--out", str(out), "--journeys", "30", "--start", "2026-10-05",
                                       "--days", "3", "--seed", "2", "--truth", str(truth)])
    assert result.exit_code == 0, result.output
    loaded = GroundTruth.read(truth)
    assert (loaded.start.isoformat(), loaded.days, loaded.seed, loaded.journeys_requested) == ("2026-10-05", 3, 2, 30)
    assert sorted(p.name for p in out.iterdir()) == sorted(loaded.files)
    for label, value in (("traces", loaded.trace_count), ("spans", loaded.span_count),
                         ("conversations", len(loaded.conversations)), ("journeys", len(loaded.journeys)),
                         ("CSAT answers", len(loaded.csat))):
        assert any(line.split()[:len(label.split())] == label.split() and f"{value:,}" in line
                   for line in result.output.splitlines()), (label, result.output)
    assert f"Ground truth: {truth}" in result.output


def test_default_window_ends_yesterday_and_truth_sits_beside_the_landing_dir(tmp_path):
    out = tmp_path / "data" / "landing"
    result = CliRunner().invoke(main, ["simulate", "--out", str(out), "--journeys", "5", "--days", "2"])
    assert result.exit_code == 0, result.output
    truth = GroundTruth.read(tmp_path / "data" / "simulation-truth.json")
    assert truth.start == datetime.now(UTC).date() - timedelta(days=2)
    assert all(c.started_at.date() < datetime.now(UTC).date() for c in truth.conversations)


def test_bad_options_give_a_clear_error(tmp_path):
    out = tmp_path / "landing"
    inside = CliRunner().invoke(main, ["simulate", "--out", str(out), "--journeys", "5", "--truth", str(out / "t.json")])
    assert inside.exit_code == 1 and "must not be inside the landing directory" in inside.output
    zero = CliRunner().invoke(main, ["simulate", "--out", str(out), "--journeys", "0"])
    assert zero.exit_code == 2 and "--journeys" in zero.output


def test_spans_per_day_and_journeys_are_mutually_exclusive(tmp_path):
    out = tmp_path / "landing"
    both = CliRunner().invoke(main, ["simulate", "--out", str(out), "--journeys", "5", "--spans-per-day", "100"])
    assert both.exit_code == 2 and "mutually exclusive" in both.output
    spans = CliRunner().invoke(main, ["simulate", "--out", str(out), "--spans-per-day", "100", "--days", "2",
                                      "--truth", str(tmp_path / "truth.json")])
    assert spans.exit_code == 0, spans.output
    assert "100 spans a day" in spans.output
    assert GroundTruth.read(tmp_path / "truth.json").span_count >= 200
