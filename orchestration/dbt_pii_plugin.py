"""The leak check's exact detector in dbt-duckdb: a plugin (`plugins:` of the `dev` target in
dbt_project/profiles.yml) that registers `journeys_pii_types(text)`, the personal-data types that
ingestion's redactor (evals/redaction.py) would still replace in `text`.

Emails, Luhn-valid cards and checksum-valid IBANs have exact SQL equivalents (macros/pii.sql), but
a phone number is personal data only when libphonenumber validates it in the default region, and
an address only in the redactor's own format; a shape that SQL can match also takes the numbers
the redactor rightly kept (four in ten NANP-shaped numbers are not valid ones). So the leak check
asks the redactor itself: whatever it finds in text that should be clean is a leak."""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from evals.redaction import Redactor
from orchestration.settings import Settings

FUNCTION = "journeys_pii_types"


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # The region ingestion redacted with: the entry points export the settings to dbt.
        redactor = Redactor(Settings.from_env().pii_default_region)

        def pii_types(text: str) -> list[str]:
            return sorted({pii_type.value for pii_type, _ in redactor.redact(text).found})

        conn.create_function(FUNCTION, pii_types, ["VARCHAR"], "VARCHAR[]", side_effects=False)
