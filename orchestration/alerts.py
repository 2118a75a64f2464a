"""Alerts: an append-only record on disk, and a webhook post when one is configured."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.settings import Settings

WEBHOOK_TIMEOUT_S = 10


def alerts_file(settings: Settings) -> Path:
    return settings.data_dir / "alerts" / "alerts.jsonl"


def _post(url: str, alert: dict[str, Any]) -> str:
    request = urllib.request.Request(
        url, data=json.dumps(alert).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:
            return f"delivered ({response.status})"
    except (urllib.error.URLError, TimeoutError) as exc:
        return f"webhook failed: {exc}"


def send_alert(alert: dict[str, Any], *, path: Path, webhook: str) -> dict[str, Any]:
    """Record the alert in `path`, then post it to `webhook` (JOURNEYS_ALERT_WEBHOOK) if set.

    A webhook outage must not take the sensor down with it, but it must not go unnoticed
    either, so the delivery outcome is written into the record itself."""
    record = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **alert}
    record["webhook"] = _post(webhook, record) if webhook else "not configured"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fh.write(json.dumps(record, default=str) + "\n")
    return record
