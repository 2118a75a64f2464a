"""`app` is not installed (the name is too generic to claim in site-packages): the distribution
ships `orchestration` and `evals` only, and the Streamlit entry script finds the app's modules
from its own folder."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import setuptools
from app_runner import APP, RUN_TIMEOUT

REPO = APP.parents[1]

# Run in an interpreter started with -S: the installed dependencies are on sys.path, but no .pth
# file is processed, so no editable install can provide `app`, `orchestration` or `evals`.
ENTRY_SCRIPT_RUN = """
import importlib.util, sys
sys.path.append({site_packages!r})
assert importlib.util.find_spec("app") is None, "app is importable before the entry script runs"
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({entry!r}, default_timeout={timeout}).run()
assert not at.exception, [e.value for e in at.exception]
print(sys.modules["app"].__file__)
print(sys.modules["orchestration"].__file__)
print(at.title[0].value)
"""


def test_the_distribution_installs_orchestration_and_evals_but_not_app():
    """What setuptools packages, found the way pyproject.toml tells it to."""
    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = setuptools.find_namespace_packages(
        where=str(REPO), include=find.get("include", ("*",)), exclude=find.get("exclude", ())
    )
    assert {name.split(".")[0] for name in packages} == {"orchestration", "evals"}


def test_the_entry_script_runs_from_its_folder_without_app_installed(serving: Path, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"JOURNEYS_SERVING_DIR": str(serving)}
    script = ENTRY_SCRIPT_RUN.format(
        site_packages=sysconfig.get_paths()["purelib"], entry=str(APP), timeout=RUN_TIMEOUT
    )
    run = subprocess.run(
        [sys.executable, "-S", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    app_file, orchestration_file, title = run.stdout.splitlines()[-3:]
    assert Path(app_file) == REPO / "app" / "__init__.py"
    assert Path(orchestration_file) == REPO / "orchestration" / "__init__.py"
    assert title == "Overview"
