"""Alerts: an append-only record on disk, and a webhook post when one is configured."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.scrub import scrub_secrets
from orchestration.settings import Settings

WEBHOOK_TIMEOUT_S = 5.0
# The waits before the three retries that follow a failed first try.
WEBHOOK_BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 4.0)

logger = logging.getLogger(__name__)


def alerts_file(settings: Settings) -> Path:
    return settings.data_dir / "alerts" / "alerts.jsonl"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(record: dict[str, Any]) -> str:
    """The record as JSON with secrets scrubbed: a failure message can quote a credential."""
    return scrub_secrets(json.dumps(record, default=str))


def _append(path: Path, record: dict[str, Any], log: logging.Logger) -> None:
    """Append the record; a failure (a full disk) is logged with the record, never raised, so
    the webhook is still tried and the sensor stays standing."""
    line = _json(record)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as fh:
            fh.write(line + "\n")
    except OSError as exc:
        log.error("cannot write the alert record (%s): %s", exc.strerror or type(exc).__name__, line)


def _post(url: str, body: bytes, timeout_s: float) -> str:
    """POST within `timeout_s` in all. urllib's timeout bounds each socket operation, so a webhook
    trickling its answer a byte at a time would hold a try for ever: the try runs in a daemon
    thread and is given up at the deadline (the thread ends with its socket)."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    outcome: list[str | Exception] = []

    def attempt() -> None:
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                outcome.append(f"delivered ({response.status})")
        except Exception as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=attempt, name="alert-webhook", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not outcome:
        raise TimeoutError(f"timed out: no whole answer within {timeout_s:g} s")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def deliver(
    url: str,
    alert: dict[str, Any],
    *,
    backoff_s: Sequence[float] = WEBHOOK_BACKOFF_S,
    timeout_s: float = WEBHOOK_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
    log: logging.Logger = logger,
) -> str:
    """POST the alert, retrying after each wait of `backoff_s`; the outcome as one line.

    Never raises: a webhook can fail in more ways than urllib's own errors (a closed connection
    is `RemoteDisconnected`, a garbage answer `BadStatusLine`, a bad URL `ValueError`), and an
    alert that cannot be delivered must still leave the sensor standing."""
    body = _json(alert).encode()
    error = ""
    for attempt, wait in enumerate([0.0, *backoff_s], start=1):
        if wait:
            sleep(wait)
        try:
            return _post(url, body, timeout_s)
        except Exception as exc:  # noqa: BLE001 - see the docstring: no failure may escape
            error = scrub_secrets(f"{type(exc).__name__}: {exc}")
            log.warning("alert webhook try %d of %d failed: %s", attempt, len(backoff_s) + 1, error)
    log.error("alert webhook failed after %d tries; the alert is in the alerts file only", len(backoff_s) + 1)
    return f"webhook failed after {len(backoff_s) + 1} tries: {error}"


def send_alert(
    alert: dict[str, Any],
    *,
    path: Path,
    webhook: str,
    log: logging.Logger = logger,
    **delivery: Any,
) -> dict[str, Any]:
    """Record the alert in `path`, then post it to `webhook` (JOURNEYS_ALERT_WEBHOOK) if set.

    The record is written before any delivery is tried, so a webhook outage (or a process killed
    while retrying) never loses the alert. The delivery outcome follows as its own line, naming
    the alert's `id`. `delivery` passes `backoff_s`, `timeout_s` and `sleep` to `deliver`."""
    record = {
        "at": _now(),
        "id": uuid.uuid4().hex,
        **alert,
        "webhook": "pending" if webhook else "not configured",
    }
    _append(path, record, log)
    if webhook:
        outcome = deliver(webhook, record, log=log, **delivery)
        _append(
            path, {"at": _now(), "kind": "webhook_delivery", "alert_id": record["id"], "webhook": outcome}, log
        )
        record["webhook"] = outcome
    return record
