"""`journeys serve`: run the OTLP/HTTP trace receiver."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from orchestration.settings import ReceiverSettings, Settings

# The receiver's limits default to their JOURNEYS_RECEIVER_* variables (read when the command runs,
# after `.env` is loaded), then to ReceiverSettings' defaults.
_DEFAULTS = ReceiverSettings()

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
@click.option(
    "--max-concurrent-requests",
    default=None,
    show_default=f"$JOURNEYS_RECEIVER_MAX_CONCURRENT_REQUESTS or {_DEFAULTS.max_concurrent_requests:g}",
    type=click.IntRange(min=1),
    help="Requests worked on at once; more get 429 with Retry-After.",
)
@click.option(
    "--max-buffered-mb",
    default=None,
    show_default=f"$JOURNEYS_RECEIVER_MAX_BUFFERED_MB or {_DEFAULTS.max_buffered_mb:g}",
    type=click.FloatRange(min=0, min_open=True),
    help="Request bodies held in memory at once; past it requests get 429 with Retry-After.",
)
@click.option(
    "--body-timeout",
    default=None,
    show_default=f"$JOURNEYS_RECEIVER_BODY_TIMEOUT_SECONDS or {_DEFAULTS.body_timeout_seconds:g}",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds a client has to send its whole body; slower ones get 408.",
)
@click.option(
    "--batch-requests",
    default=None,
    show_default=f"$JOURNEYS_RECEIVER_BATCH_REQUESTS or {_DEFAULTS.batch_requests:g}",
    type=click.IntRange(min=1),
    help="One landing file per this many requests...",
)
@click.option(
    "--batch-seconds",
    default=None,
    show_default=f"$JOURNEYS_RECEIVER_BATCH_SECONDS or {_DEFAULTS.batch_seconds:g}",
    type=click.FloatRange(min=0, min_open=True),
    help="...or per this many seconds, whichever comes first.",
)
def command(
    host: str,
    port: int,
    landing_dir: Path | None,
    max_body_mb: float,
    tls_cert: Path | None,
    tls_key: Path | None,
    max_concurrent_requests: int | None,
    max_buffered_mb: float | None,
    body_timeout: float | None,
    batch_requests: int | None,
    batch_seconds: float | None,
) -> None:
    """Receive traces over OTLP/HTTP (POST /v1/traces, protobuf or JSON, optionally gzip) and write
    each accepted request durably to the landing directory before answering 200. With
    JOURNEYS_INGEST_TOKEN set, requests need `Authorization: Bearer <token>`."""
    from orchestration.receiver import serve

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    settings = Settings.from_env()
    options = {
        "max_concurrent_requests": max_concurrent_requests,
        "max_buffered_mb": max_buffered_mb,
        "body_timeout_seconds": body_timeout,
        "batch_requests": batch_requests,
        "batch_seconds": batch_seconds,
    }
    receiver = dataclasses.replace(settings.receiver, **{k: v for k, v in options.items() if v is not None})
    landing_dir = landing_dir or settings.landing_dir
    scheme = "https" if tls_cert else "http"
    click.echo(f"Receiving OTLP/HTTP traces on {scheme}://{host}:{port}/v1/traces, writing to {landing_dir}")
    if host not in ("127.0.0.1", "localhost", "::1") and not receiver.ingest_token:
        click.echo("Warning: listening beyond loopback without JOURNEYS_INGEST_TOKEN: anyone who reaches it can write.")
    serve(
        host, port, landing_dir, int(max_body_mb * (1 << 20)), settings=receiver, tls_cert=tls_cert, tls_key=tls_key
    )
