"""`journeys serve`: run the OTLP/HTTP trace receiver."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import click

from orchestration.settings import ReceiverSettings, Settings

# The receiver's limits: option, ReceiverSettings attribute, type, help. Each defaults to its
# JOURNEYS_RECEIVER_* variable (read when the command runs, after `.env` is loaded), then to
# ReceiverSettings' default.
_LIMITS = [
    ("--max-concurrent-requests", "max_concurrent_requests", click.IntRange(min=1),
     "Requests worked on at once; more get 429 with Retry-After."),
    ("--max-buffered-mb", "max_buffered_mb", click.FloatRange(min=0, min_open=True),
     "Request bodies held in memory at once; past it requests get 429 with Retry-After."),
    ("--body-timeout", "body_timeout_seconds", click.FloatRange(min=0, min_open=True),
     "Seconds a client has to send its whole body; slower ones get 408."),
    ("--batch-requests", "batch_requests", click.IntRange(min=1), "One landing file per this many requests..."),
    ("--batch-seconds", "batch_seconds", click.FloatRange(min=0, min_open=True),
     "...or per this many seconds, whichever comes first."),
]


def _limit_options(command: Callable[..., None]) -> Callable[..., None]:
    for option, attribute, kind, help_text in reversed(_LIMITS):
        default = f"${ReceiverSettings.LIMITS_ENV[attribute]} or {getattr(ReceiverSettings, attribute):g}"
        command = click.option(option, attribute, default=None, show_default=default, type=kind, help=help_text)(
            command
        )
    return command

@click.command(name="serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on; 0.0.0.0 for every interface (then set JOURNEYS_INGEST_TOKEN).",
)
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
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="PEM certificate (chain): serve HTTPS. Needs --tls-key.",
)
@click.option(
    "--tls-key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="PEM private key of --tls-cert.",
)
@_limit_options
def command(
    host: str,
    port: int,
    landing_dir: Path | None,
    max_body_mb: float,
    tls_cert: Path | None,
    tls_key: Path | None,
    **limits: float | None,
) -> None:
    """Receive traces over OTLP/HTTP (POST /v1/traces, protobuf or JSON, optionally gzip) and write
    each accepted request durably to the landing directory before answering 200. With
    JOURNEYS_INGEST_TOKEN set, requests need `Authorization: Bearer <token>`."""
    from orchestration.receiver import serve

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    settings = Settings.from_env()
    receiver = dataclasses.replace(settings.receiver, **{k: v for k, v in limits.items() if v is not None})
    landing_dir = landing_dir or settings.landing_dir
    scheme = "https" if tls_cert else "http"
    click.echo(f"Receiving OTLP/HTTP traces on {scheme}://{host}:{port}/v1/traces, writing to {landing_dir}")
    if host not in ("127.0.0.1", "localhost", "::1") and not receiver.ingest_token:
        click.echo("Warning: listening beyond loopback without JOURNEYS_INGEST_TOKEN: anyone who reaches it can write.")
    serve(
        host, port, landing_dir, int(max_body_mb * (1 << 20)), settings=receiver, tls_cert=tls_cert, tls_key=tls_key
    )
