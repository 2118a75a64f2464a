"""`journeys config`: the settings in effect, and where each one comes from."""

from __future__ import annotations

import os
import re

import click

from orchestration.settings import REPO_ROOT, Settings

# `NAME=value` lines of .env.example document every variable: uncommented, with its default;
# commented out, one with no fixed default (or an optional one) and an example value.
_VARIABLE = re.compile(r"^(#?)\s*([A-Z][A-Z0-9_]+)=(\S*)")
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|WEBHOOK")


def documented_variables() -> dict[str, str | None]:
    """Each variable `.env.example` documents, with its default (None when it shows none)."""
    variables: dict[str, str | None] = {}
    for line in (REPO_ROOT / ".env.example").read_text().splitlines():
        if match := _VARIABLE.match(line):
            commented, name, value = match.groups()
            variables.setdefault(name, None if commented else value)
    return variables


@click.command(name="config")
@click.pass_obj
def command(obj: dict[str, list[str]] | None) -> None:
    """Show every setting (the variables `.env.example` documents), its value in effect and
    where it comes from. Paths are shown resolved; secrets and webhook URLs are hidden."""
    from_env_file = set((obj or {}).get("from_env_file", []))
    resolved = Settings.from_env().as_env()
    rows = []
    for name, default in documented_variables().items():
        value = os.environ.get(name)  # the raw environment: where the value in effect came from
        source = ".env" if name in from_env_file else "environment" if value is not None else "default"
        value = resolved.get(name, default if value is None else value)
        if value is None or value == "":
            value = "(not set)"
        elif _SECRET.search(name) and source != "default":
            value = "(set, hidden)"
        rows.append((name, value, source))
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        click.echo(f"{name:<{width}}  {value}  [{source}]")
