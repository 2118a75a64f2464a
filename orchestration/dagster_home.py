"""DAGSTER_HOME for the CLI: one shared instance, so runs started by `journeys materialize`,
the daemon's schedules and sensors, and the UI's backfills all appear in the same history."""

from __future__ import annotations

import os
import re
from pathlib import Path

from orchestration.settings import REPO_ROOT, Settings

MAX_RUNTIME_LINE = re.compile(r"^(\s*max_runtime_seconds:\s*)\d+\s*$", re.MULTILINE)


def instance_yaml(settings: Settings) -> str:
    """The repo's dagster.yaml (the warehouse pool limit, run monitoring) with the maximum
    runtime of JOURNEYS_MAX_RUN_SECONDS, the value the jobs' `dagster/max_runtime` tag carries."""
    text, count = MAX_RUNTIME_LINE.subn(
        rf"\g<1>{settings.max_run_seconds}", (REPO_ROOT / "dagster.yaml").read_text()
    )
    if count != 1:
        raise ValueError("dagster.yaml must set run_monitoring.max_runtime_seconds exactly once")
    return text


def ensure_dagster_home(settings: Settings) -> Path:
    """Use $DAGSTER_HOME if the user set one, writing the repo's instance settings there only if
    it has no dagster.yaml of its own (without one the warehouse pool would have no limit);
    otherwise $JOURNEYS_DATA_DIR/dagster_home with the repo's settings."""
    # DAGSTER_HOME is Dagster's own variable (its instance reads it), not a platform setting.
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text(instance_yaml(settings))
        return home
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(instance_yaml(settings))
    os.environ["DAGSTER_HOME"] = str(home)
    return home
