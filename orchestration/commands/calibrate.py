"""`journeys calibrate`: the local evaluators' accuracy on the annotated SGD development set."""

from __future__ import annotations

from pathlib import Path

import click

from orchestration.settings import REPO_ROOT

DEFAULT_PATH = REPO_ROOT.parent / "shared" / "data" / "sgd_dev" / "dialogues.jsonl"


@click.command(name="calibrate")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_PATH)
@click.option(
    "--threshold",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Operating threshold: a result passes when score >= threshold.",
)
def command(path: Path, threshold: float) -> None:
    """Print AUROC for resolution, and AUROC with precision/recall for re-ask detection within a
    conversation and across the stage hand-off, on PATH (default: ../shared/data/sgd_dev/
    dialogues.jsonl). Exits 0 with a message when PATH does not exist."""
    from evals.calibration import SKIP_MESSAGE, CalibrationDataError, format_report, run_calibration

    if not path.exists():
        click.echo(SKIP_MESSAGE.format(path=path))
        return
    try:
        report = run_calibration(path, threshold=threshold)
    except CalibrationDataError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_report(report))
