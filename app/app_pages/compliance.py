"""Compliance, for the compliance officer: PII found and redacted, consent per stage, and the
transcripts of customers who declined (shown on this page only, which only the compliance role
opens: app/auth.py).

It shows what `marts.stage_compliance` holds today; new `pii_<type>` or `consent_<state>`
columns the privacy work adds appear without a change here.
"""

from __future__ import annotations

import streamlit as st

from app import charts, notices, page_frame, queries, tables, transcript
from app.data import columns
from app.formatting import count, pct

# One page of the declined conversations' list, newest first.
ROW_LIMIT = 500

snapshot, filters = page_frame.page_header(
    "Compliance",
    "For the compliance officer: conversations in which PII was found, how many of them were "
    "redacted, and the consent customers gave, per stage.",
)

# The stage_compliance types whose SQL check is exact, as the redactor's (macros/pii.sql).
LEAK_COLUMNS = ("pii_email", "pii_payment_card", "pii_iban")

result = notices.mart_rows(snapshot, "stage_compliance", filters, "PII and consent per stage")
if result is not None:
    frame = result.frame
    pii_types = [c for c in frame.columns if c.startswith("pii_") and not c.endswith("_rate")]
    consent = [c for c in frame.columns if c.startswith("consent_")]

    with_pii = int(frame["conversations_with_pii"].sum())
    redacted = int(frame["conversations_redacted"].sum())
    total = int(frame["conversations"].sum())
    # Ingestion redacts before anything is stored, so what is "found" here is text shaped like
    # PII that the redactor kept (numbers failing their checksum, phone shapes libphonenumber
    # rejects), and a leak is one of the types with an exact check (LEAK_COLUMNS).
    leaks = int(frame[list(LEAK_COLUMNS)].sum().sum())
    tiles = st.columns(4)
    tiles[0].metric("Conversations", count(total))
    tiles[1].metric(
        "With PII found",
        count(with_pii),
        help=f"{pct(with_pii / total if total else None)} of conversations still hold text shaped like "
        "personal data after redaction: mostly numbers the redactor kept (failing checksums, invalid phones).",
    )
    tiles[2].metric(
        "Redacted",
        pct(redacted / total if total else None),
        help="Share of conversations in which ingestion replaced personal data with a placeholder.",
    )
    tiles[3].metric(
        "PII left unredacted",
        count(leaks),
        help="Conversations (per type) with an email, a Luhn-valid card or a valid IBAN still in a turn: "
        "the dbt leak check fails the build on any, so a published snapshot shows 0.",
    )

    if "stage_order" not in frame.columns and snapshot.has("stage_funnel"):
        order = queries.stage_order(snapshot, filters)
        frame = frame.merge(order, on=["journey_name", "stage"], how="left")
    for journey, stages in frame.groupby("journey_name", sort=True):
        stages = stages.sort_values("stage_order") if "stage_order" in stages.columns else stages
        st.header(str(journey))
        pii_col, consent_col = st.columns(2, gap="large")
        with pii_col:
            st.plotly_chart(
                charts.grouped_bars(
                    stages,
                    "stage",
                    {"conversations_with_pii": "PII found", "conversations_redacted": "redacted"},
                    "Conversations with PII found and redacted",
                    "conversations",
                    value_label=count,
                ),
                key=f"pii-{journey}",
            )
        with consent_col:
            if consent:
                st.plotly_chart(
                    charts.stacked_shares(
                        stages,
                        "stage",
                        {c: c.removeprefix("consent_") for c in consent},
                        [charts.GREEN, charts.RED, charts.AMBER, charts.GREY, charts.BLUE],
                        "Consent by stage",
                    ),
                    key=f"consent-{journey}",
                )
        with st.expander("PII found by type, per stage"):
            tables.table(
                stages[["stage", "conversations", *pii_types, "conversations_redacted", *consent]],
                key=f"compliance-{journey}",
            )

st.subheader("Consent by stage and channel")
consent_rows = notices.mart_rows(snapshot, "consent_compliance", filters, "Consent by stage and channel")
if consent_rows is not None and not consent_rows.frame.empty:
    frame = consent_rows.frame
    gaps = int(frame["propagation_gaps"].sum())
    tiles = st.columns(4)
    tiles[0].metric("AI evaluation declined", count(int(frame["ai_evaluation_declined"].sum())))
    tiles[1].metric("Recording declined", count(int(frame["recording_declined"].sum())))
    tiles[2].metric("Transcripts not kept", count(int(frame["transcripts_not_kept"].sum())))
    tiles[3].metric(
        "Propagation gaps", count(gaps), help="Judged by an LLM or transcript kept although consent forbade it; must be 0."
    )
    if gaps:
        st.error(f"{count(gaps)} conversation(s) judged or kept although consent forbade it: see consent_compliance.")
    st.caption("Where each decision was stated, inherited from an earlier conversation, or defaulted.")
    tables.table(frame, key="consent-table")

st.subheader("Transcripts of customers who declined")
st.caption(
    "Conversations of customers who declined AI evaluation (not sent to the judge) or recording "
    "(transcript removed once evaluated). Their transcripts are shown on this page only."
)
if notices.require_mart(snapshot, "conversation_evaluations", "the declined conversations"):
    declined = queries.declined_conversations(snapshot, filters, ROW_LIMIT)
    if declined.frame.empty:
        st.info("No conversation under these filters is of a customer who declined.")
    else:
        tables.table(declined.frame, key="declined-table")
        notices.filter_note(declined.clause)
        chosen = st.selectbox("Open transcript", list(declined.frame["conversation_id"]), key="declined_open")
        row = queries.listed_conversation(snapshot, declined.frame, chosen)
        if row is not None:
            prefixes = queries.evaluator_prefixes(columns(snapshot, "conversation_evaluations"))
            transcript.render(row, prefixes.items(), show_declined=True)
