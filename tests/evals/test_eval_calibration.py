"""`journeys calibrate` and the learned weights: accuracy on the annotated development sets
(../shared/data/{sgd_dev,stc3_dev}, skipped with a message when absent), and the command, the
training and the weights file on small synthetic sets written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evals.calibration import Figure, main, run_calibration
from evals.devsets import CalibrationDataError, load_dialogues, load_sets
from evals.local.model import FORMAT_VERSION, WEIGHTS_DIR, WeightsError, read_model, shipped_model
from evals.local.signals import MODEL_FEATURES
from evals.training import train
from orchestration.commands.calibrate import command

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SETS = [DATA / "sgd_dev" / "dialogues.jsonl", DATA / "stc3_dev" / "dialogues.jsonl"]

# Floors a little under the documented figures (docs/evaluators.md), inside their intervals.
FLOORS = {
    ("sgd", "resolution AUROC (resolved vs not)"): 0.96,
    ("sgd", "re-ask AUROC within a conversation"): 0.93,
    ("sgd", "re-ask AUROC across the hand-off"): 0.93,
    ("stc3", "resolution AUROC (resolved vs not)"): 0.90,
    ("stc3", "quality Spearman vs S"): 0.60,
}

needs_sets = pytest.mark.skipif(
    not all(p.exists() for p in SETS),
    reason=f"annotated sets not found under {DATA} (they ship in ../shared)",
)


@pytest.fixture(scope="module")
def figures() -> dict[tuple[str, str], Figure]:
    return {(f.source, f.measure): f for f in run_calibration(load_sets(SETS))}


@needs_sets
@pytest.mark.parametrize(("source", "measure"), sorted(FLOORS))
def test_figures_stay_above_the_floor_and_beat_the_baseline(figures, source: str, measure: str) -> None:
    figure = figures[(source, measure)]
    assert figure.evaluator.value >= FLOORS[(source, measure)]
    assert figure.beats_baseline
    assert figure.evaluator.low <= figure.evaluator.value <= figure.evaluator.high


@needs_sets
def test_class_sizes_match_the_sets_readmes(figures) -> None:
    assert figures[("sgd", "resolution AUROC (resolved vs not)")].n == 350
    assert figures[("sgd", "re-ask AUROC within a conversation")].n == 394
    assert figures[("sgd", "re-ask AUROC across the hand-off")].n == 263
    assert figures[("stc3", "resolution AUROC (resolved vs not)")].n == 393
    assert figures[("stc3", "quality Spearman vs S")].n == 830


# --- synthetic sets, written for these tests -------------------------------------------------

_RESOLVED_ENDINGS = ["Thanks, that works now!", "Great, it's fixed. Thank you.", "Perfect, got it, thanks."]
_UNRESOLVED_ENDINGS = [
    "It still doesn't work. Why is nobody fixing this?",
    "This is useless, I will switch to another provider.",
    "Still broken. What am I supposed to do now?",
]


def _helpdesk(i: int, resolved: bool) -> dict:
    ending = (_RESOLVED_ENDINGS if resolved else _UNRESOLVED_ENDINGS)[i % 3]
    agent = (
        "Please restart the modem and try again." if resolved else "Sorry. Please send us a private message."
    )
    score = 1.2 if resolved else -1.1
    turns = [
        {"role": "customer", "text": f"My internet has been down since Monday, ticket {1000 + i}."},
        {"role": "agent", "text": agent},
        {"role": "customer", "text": ending},
    ]
    labels = {
        "task_accomplishment": score,
        "customer_satisfaction": score - 0.1 * (i % 4),
        "effectiveness": score,
        "resolved": resolved,
    }
    return {"source": "helpdesk", "dialogue_id": f"helpdesk/{i}", "turns": turns, "labels": labels}


def _booking(i: int, resolved: bool, reask: bool) -> dict:
    email = f"pat{i}@example.com"
    turns = [
        {"role": "customer", "text": f"Book a table for two on Friday, my email is {email}."},
        {"role": "agent", "text": "What is your email address?" if reask else "Which time suits you?"},
        {"role": "customer", "text": email if reask else "7 pm please."},
        {
            "role": "agent",
            "text": "Your table has been booked." if resolved else "Sorry, I couldn't book the table.",
        },
        {"role": "customer", "text": "Thanks."},
    ]
    labels = {"resolved": resolved, "reask_count": int(reask), "reask_count_strong": int(reask)}
    return {"source": "booking", "dialogue_id": f"booking/{i}", "turns": turns, "labels": labels}


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def synthetic(tmp_path: Path) -> list[Path]:
    helpdesk = [_helpdesk(i, i % 2 == 0) for i in range(24)]
    booking = [_booking(i, i % 2 == 0, i % 3 == 0) for i in range(24)]
    return [_write(tmp_path / "helpdesk.jsonl", helpdesk), _write(tmp_path / "booking.jsonl", booking)]


def test_calibrate_prints_per_source_figures_with_intervals_beside_the_baseline(synthetic) -> None:
    result = CliRunner().invoke(command, [str(p) for p in synthetic])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "source booking (24 dialogues)" in out and "source helpdesk (24 dialogues)" in out
    assert "1,000 resamples, seed 0, percentile method" in out and "5-fold out-of-fold" in out
    helpdesk = out.split("source helpdesk")[1]
    for measure in (
        "resolution AUROC",
        "resolution Spearman vs A",
        "quality Spearman vs S",
        "quality Spearman vs E",
    ):
        line = next(line for line in helpdesk.splitlines() if measure in line)
        # the evaluator's figure and the baseline's, each with its [low, high] interval
        assert line.count("[") == 2 and line.count("]") == 2
    booking = out.split("source booking")[1].split("source helpdesk")[0]
    assert "re-ask AUROC within a conversation" in booking and "quality" not in booking


def test_a_figure_that_loses_to_its_baseline_says_so(synthetic) -> None:
    figures = run_calibration(load_sets(synthetic))
    # On the booking set every customer closes with "Thanks.", so the closing-turn baseline
    # cannot rank; the evaluators read the outcome notices. Swap the two to see the flag.
    from evals.calibration import format_report

    figure = next(f for f in figures if f.source == "booking" and f.measure.startswith("resolution AUROC"))
    assert figure.beats_baseline
    swapped = Figure(figure.source, figure.measure, figure.n, figure.baseline, figure.evaluator)
    assert "DOES NOT BEAT THE BASELINE" in format_report([swapped], {"booking": 24})
    assert "DOES NOT BEAT" not in format_report([figure], {"booking": 24})


def test_missing_sets_are_skipped_with_a_message(tmp_path: Path, synthetic) -> None:
    result = CliRunner().invoke(command, [str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 0 and "skipped" in result.output and "no annotated set found" in result.output
    result = CliRunner().invoke(command, [str(tmp_path / "missing.jsonl"), str(synthetic[1])])
    assert result.exit_code == 0 and "skipped" in result.output and "source booking" in result.output
    assert main([str(tmp_path / "missing.jsonl")]) == 0


def test_a_malformed_line_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"dialogue_id": "x", "turns": []}\n', encoding="utf-8")
    with pytest.raises(CalibrationDataError, match="bad.jsonl:1"):
        load_dialogues(bad)
    result = CliRunner().invoke(command, [str(bad)])
    assert result.exit_code != 0 and "bad.jsonl:1" in result.output


def test_training_is_reproducible_and_writes_versioned_weights(synthetic, tmp_path: Path) -> None:
    from evals.devsets import load_sets as load

    first, second = train(load(synthetic)), train(load(synthetic))
    assert set(first) == {"resolution", "quality"}
    for name in first:
        assert first[name].to_json() == second[name].to_json()
        path = tmp_path / f"{name}.json"
        path.write_text(first[name].to_json(), encoding="utf-8")
        model = read_model(path, MODEL_FEATURES[name])
        assert model == first[name] and model.version.startswith(name)


@pytest.mark.parametrize("name", ["resolution", "quality"])
def test_the_shipped_weights_load_and_are_versioned(name: str) -> None:
    raw = json.loads((WEIGHTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert raw["format_version"] == FORMAT_VERSION and raw["version"].startswith(name)
    model = shipped_model(name)
    assert model.features == MODEL_FEATURES[name] and len(model.coef) == len(model.features)
    assert model.trained_on["n"] > 0


def test_weights_of_another_format_or_other_signals_are_refused(tmp_path: Path) -> None:
    raw = json.loads((WEIGHTS_DIR / "resolution.json").read_text(encoding="utf-8"))
    path = tmp_path / "w.json"
    path.write_text(json.dumps({**raw, "format_version": FORMAT_VERSION + 1}), encoding="utf-8")
    with pytest.raises(WeightsError, match="format_version"):
        read_model(path, MODEL_FEATURES["resolution"])
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(WeightsError, match="signals"):
        read_model(path, MODEL_FEATURES["resolution"][:-1])


def test_a_model_refuses_values_that_do_not_line_up_with_its_features() -> None:
    model = shipped_model("resolution")
    with pytest.raises(WeightsError, match="values for"):
        model.predict((0.0,) * (len(model.features) + 1))


def test_calibrate_redact_scores_the_placeholders_and_prints_the_figures(synthetic) -> None:
    from evals.calibration import RETENTION, redact_dialogues
    from evals.facts import extract_facts
    from evals.redaction import Redactor
    from evals.scorer import Scorer

    dialogues = load_sets(synthetic)
    redacted, replaced = redact_dialogues(dialogues, Redactor())
    booking = [d for d in redacted if d.source == "booking"]
    # every booking dialogue gives its email once, the re-asked ones twice
    assert replaced == {"email": 24 + sum(d.labels["reask_count"] for d in booking)}
    assert all("@" not in t["text"] for d in redacted for t in d.turns)
    first = booking[0].turns[0]["text"]
    assert "[EMAIL]" in first and "email" in {f.kind for f in extract_facts(first)}
    # a re-asked email is still a re-ask once both values are placeholders
    reasked = next(d for d in booking if d.labels["reask_count"])
    with Scorer("local") as scorer:
        assert scorer.score(RETENTION, reasked.turns)[RETENTION].score < 1

    result = CliRunner().invoke(command, ["--redact", *(str(p) for p in synthetic)])
    assert result.exit_code == 0, result.output
    assert f"values replaced: email {replaced['email']}." in result.output
    assert "re-ask AUROC within a conversation" in result.output.split("source booking")[1]
