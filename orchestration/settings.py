"""The platform's settings, read from the environment in one place (see `.env.example`).

Everything in `orchestration/` and `app/` takes its settings from a `Settings` object: the Dagster
definitions build their resources and schedule from one (`orchestration/definitions.py`). The
entry points (the `journeys` commands that start other processes, and the Dagster code location
when it loads) export it once with `Settings.export()` for child processes such as dbt, whose
profile reads `env_var('JOURNEYS_WAREHOUSE')`. The evaluator library keeps its own small
configuration (`evals/config.py`), since it imports nothing from here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import ClassVar

REPO_ROOT = Path(__file__).resolve().parent.parent


def _daily_at(value: str) -> time:
    """`HH:MM` (UTC) as a time of day."""
    try:
        hour, minute = (int(part) for part in value.split(":"))
    except ValueError as exc:
        raise ValueError(f"JOURNEYS_DAILY_AT must be HH:MM, got {value!r}") from exc
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"JOURNEYS_DAILY_AT must be a time of day, got {value!r}")
    return time(hour, minute)


def _optional_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else None


def _path(name: str, default: Path) -> Path:
    return _optional_path(name) or default.resolve()


def _rate(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        rate = float(value) if value else default
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{name}={value!r} must be a number between 0 and 1")
    return rate


def _location(name: str, default: Path) -> str:
    """A local path (resolved like the others) or an object-storage URI such as s3a://bucket/lake."""
    value = os.environ.get(name, "")
    return value if "://" in value else str(_path(name, default))


def spark_warehouse_dir(data_dir: str | Path) -> Path:
    """Where Spark keeps the tables dbt builds: the spark target of dbt_project/profiles.yml
    puts it there, beside its Derby metastore."""
    return Path(data_dir) / "spark" / "warehouse"


# Where dbt builds the marts. Not the evaluator engine (JOURNEYS_EVAL_ENGINE); the first is the default.
WAREHOUSE_ENGINES = ("duckdb", "spark")


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    """The variable's value, one of `allowed` (the first is the default)."""
    value = os.environ.get(name, allowed[0]).strip().lower()
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class ReceiverSettings:
    """`journeys serve`'s token, limits and batching; each limit is also a `journeys serve` option."""

    ingest_token: str = field(default="", repr=False)  # "" = no authentication (loopback use)
    max_concurrent_requests: int = 64  # beyond: 429 with Retry-After
    max_buffered_mb: float = 256.0  # request bodies held in memory at once; beyond: 429
    body_timeout_seconds: float = 30.0  # a body not read in full by then: 408
    batch_requests: int = 100  # one landing file per this many requests...
    batch_seconds: float = 1.0  # ...or per this many seconds, whichever comes first

    # The limits' environment variables (the token, a secret, is read but never written back).
    LIMITS_ENV: ClassVar[dict[str, str]] = {
        "max_concurrent_requests": "JOURNEYS_RECEIVER_MAX_CONCURRENT_REQUESTS",
        "max_buffered_mb": "JOURNEYS_RECEIVER_MAX_BUFFERED_MB",
        "body_timeout_seconds": "JOURNEYS_RECEIVER_BODY_TIMEOUT_SECONDS",
        "batch_requests": "JOURNEYS_RECEIVER_BATCH_REQUESTS",
        "batch_seconds": "JOURNEYS_RECEIVER_BATCH_SECONDS",
    }

    def as_env(self) -> dict[str, str]:
        """The limits under their environment variables' names."""
        return {name: f"{getattr(self, attribute):g}" for attribute, name in self.LIMITS_ENV.items()}

    @classmethod
    def from_env(cls) -> ReceiverSettings:
        limits = {
            attribute: type(getattr(cls, attribute))(os.environ[name])
            for attribute, name in cls.LIMITS_ENV.items()
            if os.environ.get(name)
        }
        return cls(ingest_token=os.environ.get("JOURNEYS_INGEST_TOKEN", ""), **limits)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    warehouse: Path
    serving_dir: Path
    journey_map: Path
    partitions_start: date
    eval_engine: str
    missing_journey_tolerance: int
    evaluation_events_endpoint: str  # "" when routing signals are not written back as OTel events
    bench_dir: Path  # benchmarks/ keeps simulated days and materialized histories here
    max_run_seconds: int  # run monitoring cancels a daemon-launched run that runs longer
    max_judge_failure_rate: float  # a day whose judge failures / calls exceed it fails its check
    # The dashboard's sign-in (docs/access.md); read by the app alone, so not exported.
    app_password: str = field(repr=False)  # "" when the dashboard has no shared password
    app_roles: Path | None  # the role file mapping OIDC e-mails and groups to roles
    llm_cache: Path  # the LLM judge's verdict cache (default: in the data directory)
    warehouse_engine: str  # where dbt builds the marts: duckdb | spark
    lake_dir: str  # the raw layer as hive-partitioned Parquet (engine spark): a path or a URI
    spark_master: str
    daily_at: time = time(2, 0)  # the daily schedule's time of day, UTC
    alert_webhook: str = field(default="", repr=False)  # "" = alerts are only written to disk
    receiver: ReceiverSettings = ReceiverSettings()
    pii_default_region: str = "US"  # phonenumbers' region for numbers without a country code
    consent_default: str = "allow"  # effective consent without a stated decision: allow | deny
    declined_evaluation: str = "not_applicable"  # ai_evaluation declined: not_applicable | local
    keep_raw_pii: bool = False  # opt-in: raw.spans keeps the originals redaction replaced
    raw_pii_retention_days: int = 30  # ... for this many days after ingestion, then purged
    # DuckDB's memory_limit for the warehouse (Dagster's connections and dbt's): past it, DuckDB
    # spills to disk. Its own default, 80% of RAM, let one day's ingestion take 5.5 GB.
    duckdb_memory_limit: str = "1GB"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def spark_warehouse_dir(self) -> Path:
        return spark_warehouse_dir(self.data_dir)

    def export(self) -> None:
        """Write the resolved values to the environment, for the child processes an entry point
        starts (dbt, whose profile reads `env_var()`, dagster dev, streamlit): they all see the
        same absolute paths whatever their working directory. Each entry point calls it once."""
        os.environ.update(self.as_env())

    def as_env(self) -> dict[str, str]:
        """The resolved values under their environment variables' names."""
        return {
            "JOURNEYS_DATA_DIR": str(self.data_dir),
            "JOURNEYS_LANDING_DIR": str(self.landing_dir),
            "JOURNEYS_WAREHOUSE": str(self.warehouse),
            "JOURNEYS_SERVING_DIR": str(self.serving_dir),
            "JOURNEYS_JOURNEY_MAP": str(self.journey_map),
            "JOURNEYS_PARTITIONS_START": self.partitions_start.isoformat(),
            "JOURNEYS_EVAL_ENGINE": self.eval_engine,
            "JOURNEYS_MISSING_JOURNEY_TOLERANCE": str(self.missing_journey_tolerance),
            "JOURNEYS_EVALUATION_EVENTS_ENDPOINT": self.evaluation_events_endpoint,
            "JOURNEYS_BENCH_DIR": str(self.bench_dir),
            "JOURNEYS_MAX_RUN_SECONDS": str(self.max_run_seconds),
            "JOURNEYS_MAX_JUDGE_FAILURE_RATE": str(self.max_judge_failure_rate),
            "JOURNEYS_LLM_CACHE": str(self.llm_cache),
            "JOURNEYS_DAILY_AT": self.daily_at.strftime("%H:%M"),
            "JOURNEYS_ALERT_WEBHOOK": self.alert_webhook,
            "JOURNEYS_WAREHOUSE_ENGINE": self.warehouse_engine,
            "JOURNEYS_LAKE_DIR": self.lake_dir,
            "JOURNEYS_SPARK_MASTER": self.spark_master,
            **self.receiver.as_env(),
            "JOURNEYS_PII_DEFAULT_REGION": self.pii_default_region,
            "JOURNEYS_CONSENT_DEFAULT": self.consent_default,
            "JOURNEYS_DECLINED_EVALUATION": self.declined_evaluation,
            "JOURNEYS_KEEP_RAW_PII": str(self.keep_raw_pii).lower(),
            "JOURNEYS_RAW_PII_RETENTION_DAYS": str(self.raw_pii_retention_days),
            "JOURNEYS_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
        }

    @classmethod
    def from_env(cls) -> Settings:
        # Relative defaults resolve against the working directory, like every CLI a user knows;
        # the journey map defaults to the one versioned in the repo.
        data_dir = _path("JOURNEYS_DATA_DIR", Path("data"))
        return cls(
            data_dir=data_dir,
            landing_dir=_path("JOURNEYS_LANDING_DIR", data_dir / "landing"),
            warehouse=_path("JOURNEYS_WAREHOUSE", data_dir / "warehouse.duckdb"),
            serving_dir=_path("JOURNEYS_SERVING_DIR", data_dir / "serving"),
            journey_map=_path("JOURNEYS_JOURNEY_MAP", REPO_ROOT / "journey_map.yaml"),
            partitions_start=date.fromisoformat(os.environ.get("JOURNEYS_PARTITIONS_START", "2026-10-01")),
            eval_engine=os.environ.get("JOURNEYS_EVAL_ENGINE", "local"),
            missing_journey_tolerance=int(os.environ.get("JOURNEYS_MISSING_JOURNEY_TOLERANCE", "0")),
            evaluation_events_endpoint=os.environ.get("JOURNEYS_EVALUATION_EVENTS_ENDPOINT", ""),
            bench_dir=_path("JOURNEYS_BENCH_DIR", data_dir / "bench"),
            max_run_seconds=int(os.environ.get("JOURNEYS_MAX_RUN_SECONDS", "21600")),
            max_judge_failure_rate=_rate("JOURNEYS_MAX_JUDGE_FAILURE_RATE", 0.05),
            app_password=os.environ.get("JOURNEYS_APP_PASSWORD", ""),
            app_roles=_optional_path("JOURNEYS_APP_ROLES"),
            llm_cache=_path("JOURNEYS_LLM_CACHE", data_dir / "llm_judge_cache.sqlite"),
            daily_at=_daily_at(os.environ.get("JOURNEYS_DAILY_AT", "02:00")),
            alert_webhook=os.environ.get("JOURNEYS_ALERT_WEBHOOK", ""),
            receiver=ReceiverSettings.from_env(),
            pii_default_region=os.environ.get("JOURNEYS_PII_DEFAULT_REGION", "US"),
            consent_default=_choice("JOURNEYS_CONSENT_DEFAULT", ("allow", "deny")),
            declined_evaluation=_choice("JOURNEYS_DECLINED_EVALUATION", ("not_applicable", "local")),
            keep_raw_pii=_choice("JOURNEYS_KEEP_RAW_PII", ("false", "true")) == "true",
            raw_pii_retention_days=int(os.environ.get("JOURNEYS_RAW_PII_RETENTION_DAYS", "30")),
            duckdb_memory_limit=os.environ.get("JOURNEYS_DUCKDB_MEMORY_LIMIT", "1GB"),
            warehouse_engine=_choice("JOURNEYS_WAREHOUSE_ENGINE", WAREHOUSE_ENGINES),
            lake_dir=_location("JOURNEYS_LAKE_DIR", data_dir / "lake"),
            spark_master=os.environ.get("JOURNEYS_SPARK_MASTER", "local[*]"),
        )


def load_env_file(path: Path) -> list[str]:
    """Set the variables of a `.env` file (`.env.example` shows the format) that the
    environment does not set already, and return their names: an exported variable wins, as
    with docker compose and Dagster's own `.env` loading."""
    from dotenv import dotenv_values

    if not path.is_file():
        return []
    loaded = {k: v for k, v in dotenv_values(path).items() if v is not None and k not in os.environ}
    os.environ.update(loaded)
    return sorted(loaded)
