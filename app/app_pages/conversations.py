"""Conversations: the rows behind every number, and a transcript view with each evaluator's
verdict. Other pages link here with the stage (and `failing=1`) in the URL."""

from __future__ import annotations

import streamlit as st

from app import notices, page_frame, queries, tables, transcript, url_sync
from app.data import columns
from app.formatting import count, escape_markdown

# One page of the list; the pages go back through the whole history, newest first.
ROW_LIMIT = 500
TRUE_WORDS = ("1", "true", "yes")

snapshot, filters = page_frame.page_header(
    "Conversations",
    "Every evaluated conversation under the sidebar filters. Pick one to read its transcript with "
    "each evaluator's score, status and reason; the turns an evaluator cites are highlighted.",
)

if notices.require_mart(snapshot, "conversation_evaluations", "the conversation list"):
    stage_options = (
        list(dict.fromkeys(queries.stage_order(snapshot, filters)["stage"]))
        if snapshot.has("stage_funnel")
        else []
    )
    url_sync.url_state("conv_stages", "stage", list)
    url_sync.url_state(
        "conv_failing", "failing", lambda values: bool(values) and values[-1].lower() in TRUE_WORDS
    )
    url_sync.url_state("conv_search", "q", lambda values: values[-1] if values else "")
    url_sync.url_state("conv_open", "conversation", lambda values: values[-1] if values else None)
    url_sync.url_state("conv_page", "list_page", lambda values: max(1, int(values[-1])) if values and values[-1].isdigit() else 1)
    st.session_state["conv_stages"] = [s for s in st.session_state["conv_stages"] if s in stage_options]

    stage_col, failing_col, search_col, page_col = st.columns([3, 2, 3, 1], vertical_alignment="bottom")
    stages = stage_col.multiselect("Stage", stage_options, key="conv_stages", placeholder="All stages")
    failing = failing_col.toggle(
        "Failing only", key="conv_failing", help="Only conversations that fail at least one evaluator."
    )
    search = search_col.text_input("Search ids and transcript text", key="conv_search").strip()
    page = page_col.number_input("Page", min_value=1, step=1, key="conv_page")

    result = queries.conversations(snapshot, filters, stages, failing, search, ROW_LIMIT, (page - 1) * ROW_LIMIT)
    frame = result.frame.head(ROW_LIMIT)
    more = len(result.frame) > ROW_LIMIT
    first = (page - 1) * ROW_LIMIT
    if frame.empty and page > 1:
        st.markdown(f"**No conversations on page {page}**: go back to an earlier page.")
    elif page > 1 or more:
        st.markdown(
            f"**Conversations {count(first + 1)}–{count(first + len(frame))}**, newest first"
            + (f"; page {page + 1} has more" if more else "")
        )
    else:
        st.markdown(f"**{count(len(frame))} conversations**")
    if "ai_evaluation_consent" in frame.columns:
        declined = int(frame["ai_evaluation_consent"].eq(False).sum())
        if declined:
            st.caption(
                f"{count(declined)} of these conversations are of customers who declined AI evaluation: "
                "not scored by the judge, and their transcripts are shown on the Compliance page only."
            )
    tables.table(frame, key="conversation-table")
    notices.filter_note(result.clause)

    labels = {
        row.conversation_id: f"{row.conversation_id} · {row.stage} · {row.channel}"
        + (" · failing" if row.failing else "")
        for row in frame.itertuples()
    }
    requested = st.session_state["conv_open"]
    options = list(labels)
    # A link may name a conversation the current filters hide; it still opens.
    if requested and requested not in labels:
        options.insert(0, requested)
    if st.session_state["conv_open"] not in options:
        st.session_state["conv_open"] = options[0] if options else None
    url_sync.write_url_params(
        {
            "stage": stages,
            "failing": ["1"] if failing else [],
            "q": [search] if search else [],
            "conversation": [st.session_state["conv_open"]] if st.session_state["conv_open"] else [],
            "list_page": [str(page)] if page > 1 else [],
        }
    )

    st.header("Transcript")
    if not options:
        st.info("No conversation matches; widen the filters or clear the search.")
    else:
        chosen = st.selectbox(
            "Open transcript", options, key="conv_open", format_func=lambda cid: labels.get(cid, str(cid))
        )
        row = queries.listed_conversation(snapshot, frame, chosen)
        if row is None:
            # `chosen` may come from the URL: plain text, never Markdown.
            st.warning(f"Conversation {escape_markdown(str(chosen))} is not in the published snapshot.")
        else:
            prefixes = queries.evaluator_prefixes(columns(snapshot, "conversation_evaluations"))
            transcript.render(row, prefixes.items())
