"""Secrets out of text that is stored, shown or logged: the one scrub every such text goes through.

Two nets: the values of the secrets this deployment holds (given, or read from the environment
variables that carry them), replaced wherever they appear; and the shapes of credentials in
general (`sk-…` keys, `Bearer …` tokens, `api_key=…` pairs), for a key the process never held,
such as one a provider echoes back from another configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from evals.config import secret_values

REDACTED = "[REDACTED]"

# Shorter values are not replaced by value: a two-letter "secret" would mangle every word holding it.
_MIN_SECRET_LENGTH = 6

_CREDENTIAL_SHAPES = re.compile(
    r"""
      \b(?:sk|rk|pk)-[A-Za-z0-9_\-]{12,}                 # OpenAI, Anthropic and similar API keys
    | \b(?:gh[pousr]|glpat|xox[abprs])[-_][A-Za-z0-9_\-]{12,}  # GitHub, GitLab, Slack tokens
    | (?<=\bbearer\s)[A-Za-z0-9._~+/=\-]{8,}              # an Authorization header's token
    | (?<=\bbasic\s)[A-Za-z0-9+/=]{8,}
    | (?<=api[_-]key)["']?\s*[:=]\s*["']?[^\s"',;]{6,}    # api_key=..., "api-key": "..."
    """,
    re.IGNORECASE | re.VERBOSE,
)


def scrub_secrets(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every known secret value and every credential-shaped string replaced by
    `[REDACTED]`. `secrets` adds values to the deployment's own (evals/config.py)."""
    values = {value for value in (*secrets, *secret_values()) if value}
    # Longest first, so a secret containing another is replaced whole.
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= _MIN_SECRET_LENGTH:
            text = text.replace(value, REDACTED)
    return _CREDENTIAL_SHAPES.sub(_keep_separator, text)


def _keep_separator(match: re.Match[str]) -> str:
    """An `api_key=...` match keeps its `=` or `:` so the text still reads as a pair."""
    separator = re.match(r"""["']?\s*[:=]\s*["']?""", match.group(0))
    return (separator.group(0) if separator and separator.group(0) else "") + REDACTED
