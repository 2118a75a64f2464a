"""DAGSTER_HOME for the CLI: one shared instance, so runs started by `journeys materialize`,
the daemon's schedules and sensors, and the UI's backfills all appear in the same history."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from orchestration.settings import REPO_ROOT, Settings


def ensure_dagster_home(settings: Settings) -> Path:
    """Use $DAGSTER_HOME if the user set one; otherwise $JOURNEYS_DATA_DIR/dagster_home with
    the repo's dagster.yaml (the warehouse pool limit lives there)."""
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        return home
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
