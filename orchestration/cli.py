"""The `journeys` console script.

Subcommands live in `orchestration/commands/<name>.py` (each defines `command`) and are
imported only when invoked, so `journeys --help` answers without loading Dagster or dbt.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from orchestration.settings import load_env_file

SUBCOMMANDS: dict[str, str] = {
    "simulate": "Write simulated contact-center traffic as OTLP/JSON trace files.",
    "serve": "Run the OTLP/HTTP trace receiver (POST /v1/traces).",
    "materialize": "Materialize the asset graph for each daily partition of a date range.",
    "demo": "Simulate a month, materialize it, and start the Dagster UI and the Streamlit app.",
    "rescore": "Re-run the evaluators and marts for one cohort (cohort week or segment).",
    "calibrate": "Report the evaluators' accuracy on annotated dialogues (SGD dev set).",
    "config": "Show the settings in effect and where each comes from (environment, .env, default).",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SUBCOMMANDS:
            return None
        return importlib.import_module(f"orchestration.commands.{name}").command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help from the table keeps `journeys --help` from importing every subcommand.
        with formatter.section("Commands"):
            formatter.write_dl(list(SUBCOMMANDS.items()))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="journeys")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Contact-center customer-journey management: traces in, journey marts and routing signals out.

    Settings come from the environment, then from a `.env` file in the working directory
    (`.env.example` lists every variable), then the defaults."""
    # Every subcommand, and the Dagster and Streamlit processes `demo` starts, sees these.
    ctx.obj = {"from_env_file": load_env_file(Path.cwd() / ".env")}
