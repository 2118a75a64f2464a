"""`journeys calibrate`: the local evaluators' accuracy on the annotated development sets."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="calibrate")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--redact",
    is_flag=True,
    help="Redact each dialogue's turns (evals/redaction.py, as ingestion does) before scoring.",
)
def command(paths: tuple[Path, ...], redact: bool) -> None:
    """Resolution, quality and retention accuracy per source, with bootstrap 95% intervals, beside
    trivial baselines, on PATHS (default: ../shared/data/sgd_dev and stc3_dev). A missing set
    is skipped with a message. With --redact, the figures are those on redacted text."""
    from evals.calibration import calibrate

    if calibrate(list(paths), echo=click.echo, redact=redact):
        raise click.ClickException("the annotated data could not be read")
