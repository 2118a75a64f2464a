"""Transcripts of customers who declined recording, removed once their day is evaluated.

A conversation whose effective `recording` consent is false (raw.customer_consent) keeps its
turns only until its day's evaluations succeed. Then its turns are removed from raw.conversations
(`transcript_kept = false`) and its spans lose the attributes and events that carry messages in
raw.spans. A re-ingest of the day brings them back from the landing files, and the evaluations
that follow remove them again; a conversation whose transcript is gone is not re-scored (its
evaluations stay as they were).
"""

from __future__ import annotations

from datetime import date

import duckdb
import orjson
import pyarrow as pa

from orchestration.ingest.conventions import FLAT_MESSAGE_PREFIXES, JSON_MESSAGE_KEYS, TURN_PAIRS
from orchestration.warehouse import RAW_SCHEMA

# Attribute keys that carry message text (conventions.py), removed from raw.spans.
_MESSAGE_KEYS = frozenset((*JSON_MESSAGE_KEYS, *(key for pair in TURN_PAIRS for key in pair)))

# The day's conversations to strip: recording declined, transcript still kept, and every
# evaluation row of the conversation there and none failed.
_DUE_SQL = f"""
select c.conversation_id
from {RAW_SCHEMA}.conversations c
join {RAW_SCHEMA}.customer_consent cc using (conversation_id)
where c.partition_date = $day and not cc.recording and coalesce(c.transcript_kept, true)
    and exists (select 1 from {RAW_SCHEMA}.evaluations e where e.conversation_id = c.conversation_id)
    and not exists (
        select 1 from {RAW_SCHEMA}.evaluations e where e.conversation_id = c.conversation_id and e.status = 'failed')
"""


def remove_unrecorded_transcripts(con: duckdb.DuckDBPyConnection, day: date) -> int:
    """Remove the day's transcripts that recording consent does not allow to keep, now that they
    are evaluated. Returns how many conversations lost their transcript."""
    due = [cid for (cid,) in con.execute(_DUE_SQL, {"day": day}).fetchall()]
    if not due:
        return 0
    con.register("_unrecorded", pa.table({"conversation_id": due}))
    try:
        spans = con.execute(
            f"select trace_id, span_id, attributes::varchar from {RAW_SCHEMA}.spans "
            "where conversation_id in (select conversation_id from _unrecorded)"
        ).fetchall()
        stripped = pa.table(
            {
                "trace_id": [t for t, _, _ in spans],
                "span_id": [s for _, s, _ in spans],
                "attributes": [_without_messages(a) for _, _, a in spans],
            }
        )
        con.register("_stripped", stripped)
        try:
            _strip(con)
        finally:
            con.unregister("_stripped")
    finally:
        con.unregister("_unrecorded")
    return len(due)


def _strip(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("begin transaction")
    try:
        con.execute(
            f"update {RAW_SCHEMA}.conversations set turns = [], transcript_kept = false "
            "where conversation_id in (select conversation_id from _unrecorded)"
        )
        con.execute(
            f"update {RAW_SCHEMA}.spans s set attributes = x.attributes::json, events = null "
            "from _stripped x where s.trace_id = x.trace_id and s.span_id = x.span_id"
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _without_messages(attributes: str | None) -> str | None:
    if attributes is None:
        return None
    kept = {
        key: value
        for key, value in orjson.loads(attributes).items()
        if key not in _MESSAGE_KEYS and not key.startswith(FLAT_MESSAGE_PREFIXES)
    }
    return orjson.dumps(kept).decode()
