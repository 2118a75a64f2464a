"""`journeys serve`: run the OTLP/HTTP trace receiver."""

from __future__ import annotations

from pathlib import Path

import click

from orchestration.settings import Settings


@click.command(name="serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=4318,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port (OTLP/HTTP's is 4318).",
)
@click.option(
    "--landing-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where accepted requests are written.  [default: $JOURNEYS_LANDING_DIR]",
)
@click.option(
    "--max-body-mb",
    default=20.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Largest request body accepted, before or after decompression (larger ones get 413).",
)
def command(host: str, port: int, landing_dir: Path | None, max_body_mb: float) -> None:
    """Receive traces over OTLP/HTTP (POST /v1/traces, protobuf or JSON, optionally gzip) and write
    each accepted request durably to the landing directory before answering 200."""
    from orchestration.receiver import serve

    landing_dir = landing_dir or Settings.from_env().landing_dir
    click.echo(f"Receiving OTLP/HTTP traces on http://{host}:{port}/v1/traces, writing to {landing_dir}")
    serve(host, port, landing_dir, int(max_body_mb * (1 << 20)))
