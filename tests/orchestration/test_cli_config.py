"""Settings from a `.env` file in the working directory, and `journeys config` showing them."""

import os

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.commands.config import documented_variables


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory with a `.env`, and an environment the test may change and gets back."""
    monkeypatch.chdir(tmp_path)
    # Importing the Dagster definitions exports every setting, so earlier tests leave them set.
    for name in documented_variables():
        monkeypatch.setenv(name, "placeholder")  # so that teardown also removes what .env sets
        monkeypatch.delenv(name)
    (tmp_path / ".env").write_text(
        f"JOURNEYS_LANDING_DIR={tmp_path}/from-dotenv\nJOURNEYS_EVAL_ENGINE=hybrid\nOPENAI_API_KEY=sk-secret\n"
    )
    return tmp_path


def _config() -> dict[str, tuple[str, str]]:
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == 0, result.output
    rows = {}
    for line in result.output.splitlines():
        name, rest = line.split(maxsplit=1)
        value, source = rest.rsplit("  [", 1)
        rows[name] = (value.strip(), source.rstrip("]"))
    return rows


def test_a_dotenv_file_in_the_working_directory_sets_what_the_environment_does_not(workdir, monkeypatch):
    monkeypatch.setenv("JOURNEYS_EVAL_ENGINE", "llm")
    rows = _config()
    assert rows["JOURNEYS_LANDING_DIR"] == (f"{workdir}/from-dotenv", ".env")
    assert os.environ["JOURNEYS_LANDING_DIR"] == f"{workdir}/from-dotenv"  # for the subcommand itself
    assert rows["JOURNEYS_EVAL_ENGINE"] == ("llm", "environment")  # an exported variable wins
    assert rows["JOURNEYS_WAREHOUSE"] == (f"{workdir}/data/warehouse.duckdb", "default")
    assert rows["JOURNEYS_DAILY_AT"] == ("02:00", "default")


def test_secrets_are_never_printed(workdir):
    rows = _config()
    assert rows["OPENAI_API_KEY"] == ("(set, hidden)", ".env")
    assert "sk-secret" not in CliRunner().invoke(main, ["config"]).output


def test_without_a_dotenv_file_everything_is_environment_or_default(workdir):
    (workdir / ".env").unlink()
    rows = _config()
    assert rows["JOURNEYS_LANDING_DIR"] == (f"{workdir}/data/landing", "default")
    assert {source for _, source in rows.values()} <= {"environment", "default"}
