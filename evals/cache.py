"""A persistent cache of LLM-judge verdicts, so re-scoring the same conversations costs nothing.

The key is a hash of everything that determines the verdict: the evaluator, the rubric version,
the model, the endpoint serving it (the same model name on two servers can be two models) and
the exact prompt (transcript and earlier context). Only successful, validated
verdicts are stored, so a failed call is retried on the next run. SQLite in WAL mode lets
several processes share the file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
create table if not exists judge_cache (
    key text primary key,
    evaluator text not null,
    rubric_version text not null,
    model text not null,
    transcript_sha256 text not null,
    reply text not null,
    prompt_tokens integer not null,
    completion_tokens integer not null,
    created_at text not null
)
"""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_key(evaluator: str, rubric_version: str, model: str, prompt: str, base_url: str | None) -> str:
    return sha256(json.dumps([evaluator, rubric_version, model, base_url, sha256(prompt)]))


@dataclass(frozen=True)
class CachedVerdict:
    reply: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int


class JudgeCache:
    """Thread-safe: the judge calls it from its worker threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._con.execute("pragma journal_mode=wal")
        self._con.execute(_SCHEMA)
        self._con.commit()

    def get(self, key: str) -> CachedVerdict | None:
        with self._lock:
            row = self._con.execute(
                "select reply, prompt_tokens, completion_tokens from judge_cache where key = ?", (key,)
            ).fetchone()
        return None if row is None else CachedVerdict(json.loads(row[0]), row[1], row[2])

    def put(
        self,
        key: str,
        *,
        evaluator: str,
        rubric_version: str,
        model: str,
        prompt: str,
        reply: dict[str, Any],
        prompt_tokens: int,
        completion_tokens: int,
    ) -> None:
        with self._lock:
            self._con.execute(
                "insert or replace into judge_cache values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    evaluator,
                    rubric_version,
                    model,
                    sha256(prompt),
                    json.dumps(reply),
                    prompt_tokens,
                    completion_tokens,
                    datetime.now(UTC).isoformat(),
                ),
            )
            self._con.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._con.execute("select count(*) from judge_cache").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._con.close()
