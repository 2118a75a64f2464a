"""The transcript view: one conversation's turns with each evaluator's verdict, and the turns
an evaluator cites as evidence highlighted."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from app.formatting import escape_markdown, score
from evals.registry import EvaluatorSpec


@dataclass(frozen=True)
class Evidence:
    turn_index: int
    snippet: str
    note: str = ""
    # "conversation": the index points into this transcript; "context": into the earlier
    # stages the context-retention evaluator was given, so there is no turn here to highlight.
    source: str = "conversation"


def _first(item: dict[str, Any], *keys: str) -> Any:
    return next((item[k] for k in keys if item.get(k) is not None), None)


def parse_evidence(raw: Any) -> tuple[list[Evidence], str | None]:
    """Evidence JSON -> items, plus a problem message when the value is not what the contract
    says (shown, never raised). Accepts the evals library's shape ({turn, quote, note, source})
    and the marts contract's ({turn_index, snippet})."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)) or raw == "":
        return [], None
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return [], "evidence is not valid JSON"
    if not isinstance(items, list):
        return [], "evidence is not a list"
    found = []
    for item in items:
        index = _first(item, "turn_index", "turn") if isinstance(item, dict) else None
        if isinstance(index, int) and not isinstance(index, bool):
            found.append(
                Evidence(
                    index,
                    str(_first(item, "snippet", "quote") or ""),
                    str(item.get("note") or ""),
                    str(item.get("source") or "conversation"),
                )
            )
    skipped = len(items) - len(found)
    return found, (f"{skipped} evidence item(s) without a turn index" if skipped else None)


def _turns(raw: Any) -> list[dict[str, Any]]:
    """The `turns` list as DuckDB hands it to pandas (a list or array of dicts)."""
    if raw is None or isinstance(raw, (float, str)):
        return []
    return [dict(t) for t in raw if isinstance(t, dict)]


# evals.types.Status: only a completed evaluation has a verdict.
STATUS_BADGES = {"failed": ":gray-badge[judge failed]", "not_applicable": ":gray-badge[not applicable]"}


def _verdict(status: Any, passed: Any) -> str:
    if isinstance(status, str) and status not in ("completed", "ok"):
        return STATUS_BADGES.get(status, f":gray-badge[{escape_markdown(status)}]")
    if passed is None or pd.isna(passed):
        return ":gray-badge[not scored]"
    return ":green-badge[passed]" if bool(passed) else ":red-badge[failed]"


def _highlight(text: str, snippet: str) -> str:
    """Highlight the cited snippet inside the turn, or the whole turn when the snippet is not
    found verbatim (evaluators may paraphrase)."""
    if snippet and snippet in text:
        before, _, after = text.partition(snippet)
        return (
            f"{escape_markdown(before)}:orange-background[{escape_markdown(snippet)}]{escape_markdown(after)}"
        )
    return f":orange-background[{escape_markdown(text)}]"


def _fact(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, pd.Timestamp) else str(value)


def _is_false(row: pd.Series, column: str) -> bool:
    """The column holds false (not true, null or absent: an older snapshot lacks it)."""
    value = row.get(column)
    return value is not None and not pd.isna(value) and not bool(value)


def render(
    row: pd.Series, evaluators: Iterable[tuple[EvaluatorSpec, str]], *, show_declined: bool = False
) -> None:
    """Show one conversation (a `conversation_evaluations` row): header facts, one card per
    evaluator with score, status and reason, then the turns with evidence highlighted. The turns
    of a customer who declined AI evaluation are shown only with `show_declined` (the Compliance
    page); a transcript removed for recording consent says so."""
    facts = [
        f"{label}: **{escape_markdown(_fact(row[col]))}**"
        for col, label in (
            ("journey_name", "journey"),
            ("journey_id", "journey id"),
            ("stage", "stage"),
            ("channel", "channel"),
            ("agent_type", "agent"),
            ("started_at", "started"),
            ("outcome", "outcome"),
            ("consent_status", "consent"),
        )
        if col in row.index and pd.notna(row[col])
    ]
    st.markdown(" · ".join(facts))
    cited: dict[int, list[tuple[str, str]]] = {}
    cards = st.columns(3)
    for i, (ev, prefix) in enumerate(evaluators):
        evidence, problem = parse_evidence(row.get(f"{prefix}_evidence"))
        for item in evidence:
            if item.source == "conversation":
                cited.setdefault(item.turn_index, []).append((ev.label, item.snippet))
        with cards[i % 3].container(border=True):
            st.markdown(
                f"**{ev.label}** {_verdict(row.get(f'{prefix}_status'), row.get(f'{prefix}_passed'))}"
            )
            st.metric(f"{ev.label} score", score(row.get(f"{prefix}_score")), label_visibility="collapsed")
            reason = row.get(f"{prefix}_reason")
            st.caption(escape_markdown(str(reason)) if pd.notna(reason) else "No reason recorded.")
            for item in evidence:
                where = "turn" if item.source == "conversation" else "earlier stage, turn"
                quoted = (
                    f": “{escape_markdown(item.snippet)}”"
                    if item.source != "conversation" and item.snippet
                    else ""
                )
                note = f" ({escape_markdown(item.note)})" if item.note else ""
                st.caption(f"Evidence: {where} {item.turn_index + 1}{quoted}{note}")
            if problem:
                st.caption(f":orange[{problem}]")
    if _is_false(row, "transcript_kept"):
        st.info("The transcript was not kept: the customer declined recording (docs/privacy.md).")
        return
    if _is_false(row, "ai_evaluation_consent") and not show_declined:
        st.info("The customer declined AI evaluation: the transcript is shown on the Compliance page only.")
        return
    turns = _turns(row.get("turns"))
    if not turns:
        st.info("This conversation has no transcript in the snapshot.")
        return
    for index, turn in enumerate(turns):
        role = str(turn.get("role") or "")
        text = str(turn.get("text") or "")
        with st.chat_message("user" if role == "customer" else "assistant"):
            label = f"turn {index + 1} · {role}"
            if index in cited:
                labels = ", ".join(dict.fromkeys(name for name, _ in cited[index]))
                st.caption(f"{label} · :orange-badge[evidence: {labels}]")
                snippet = next((s for _, s in cited[index] if s and s in text), "")
                st.markdown(_highlight(text, snippet))
            else:
                st.caption(label)
                st.markdown(escape_markdown(text))
