"""Each attribute convention of docs/trace-contract.md, read from hand-built OTLP/JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from ingest_builders import DAY, JOURNEY, T0, request, rows, span, tid, turns, write_lines


def at(seconds: float) -> datetime:
    return (T0 + timedelta(seconds=seconds)).replace(tzinfo=None)


def flat(prefix: str, messages: list[tuple[str, str]]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for i, (role, content) in enumerate(messages):
        attrs[f"{prefix}.{i}.message.role"] = role
        attrs[f"{prefix}.{i}.message.content"] = content
    return attrs


def test_traceai_flattened_messages_give_the_last_llm_history_with_first_seen_times(landing, warehouse, ingest):
    system = ("system", "You are a support agent.")
    first = [system, ("user", "hi")]
    second = [*first, ("assistant", "Hello, how can I help?"), ("user", "My card was declined")]
    write_lines(
        landing / "traceai.jsonl",
        [
            request(
                span(1, 1, 0, 60, {**JOURNEY, "session.id": "s-traceai", "fi.span.kind": "AGENT"}, name="conversation"),
                span(1, 2, 10, 12, {"fi.span.kind": "LLM", **flat("gen_ai.input.messages", first),
                                    **flat("gen_ai.output.messages", [("assistant", "Hello, how can I help?")])},
                     parent=1),
                span(1, 3, 20, 22, {"gen_ai.span.kind": "LLM", **flat("gen_ai.input.messages", second),
                                    **flat("gen_ai.output.messages", [("assistant", "Let me check.")])},
                     parent=1),
            )
        ],
    )
    ingest(DAY)
    (conversation,) = rows(warehouse, "select * from raw.conversations")
    assert conversation["conversation_id"] == "s-traceai"
    assert [(t["role"], t["text"], t["ts"]) for t in conversation["turns"]] == [
        ("customer", "hi", at(10)),
        ("agent", "Hello, how can I help?", at(12)),
        ("customer", "My card was declined", at(20)),
        ("agent", "Let me check.", at(22)),
    ]
    assert conversation["turn_count"] == 4


def test_openinference_agent_spans_repeating_llm_turns_are_not_duplicated_but_repeated_words_are_kept(
    landing, warehouse, ingest
):
    system = ("system", "Be brief.")
    h1 = [system, ("user", "yes")]
    h2 = [*h1, ("assistant", "Great, which plan?"), ("user", "yes")]
    text = {"input.mime_type": "text/plain", "output.mime_type": "text/plain"}
    write_lines(
        landing / "openinference.json",
        [
            request(
                span(2, 1, 0, 60, {**JOURNEY, "session.id": "s-oi", "openinference.span.kind": "CHAIN"}),
                span(2, 2, 9, 13, {"openinference.span.kind": "AGENT", "input.value": "yes",
                                   "output.value": "Great, which plan?", **text}, parent=1),
                span(2, 3, 10, 12, {"openinference.span.kind": "LLM", **flat("llm.input_messages", h1),
                                    **flat("llm.output_messages", [("assistant", "Great, which plan?")])}, parent=2),
                span(2, 4, 19, 23, {"openinference.span.kind": "AGENT", "input.value": "yes",
                                    "output.value": "Premium it is.", **text}, parent=1),
                span(2, 5, 19.5, 19.9, {"openinference.span.kind": "TOOL", "input.value": '{"plan": "premium"}',
                                        "input.mime_type": "application/json", "output.value": '{"ok": true}',
                                        "output.mime_type": "application/json"}, parent=4),
                span(2, 6, 20, 22, {"openinference.span.kind": "LLM", **flat("llm.input_messages", h2),
                                    **flat("llm.output_messages", [("assistant", "Premium it is.")])}, parent=4),
            )
        ],
    )
    ingest(DAY)
    assert turns(warehouse, "s-oi") == [
        ("customer", "yes"),
        ("agent", "Great, which plan?"),
        ("customer", "yes"),
        ("agent", "Premium it is."),
    ]


def test_genai_json_messages_with_parts_or_plain_content_and_kind_from_the_operation(landing, warehouse, ingest):
    def parts(role: str, text: str) -> dict:
        return {"role": role, "parts": [{"type": "text", "content": text}]}

    first_in = [parts("user", "I want to cancel")]
    second_in = [
        {"role": "user", "content": "I want to cancel"},
        {"role": "assistant", "content": "Sorry to hear that."},
        {"role": "user", "content": "It is too expensive"},
    ]
    write_lines(
        landing / "genai.jsonl",
        [
            request(
                span(3, 1, 0, 60, {**JOURNEY, "gen_ai.conversation.id": "conv-g", "gen_ai.operation.name": "invoke_agent"}),
                span(3, 2, 10, 12, {"gen_ai.operation.name": "chat",
                                    "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be kind"}]),
                                    "gen_ai.input.messages": json.dumps(first_in),
                                    "gen_ai.output.messages": json.dumps([{**parts("assistant", "Sorry to hear that."),
                                                                           "finish_reason": "stop"}])},
                     parent=1),
                span(3, 3, 20, 21, {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"}, parent=1),
                span(3, 4, 22, 24, {"gen_ai.operation.name": "chat", "gen_ai.input.messages": json.dumps(second_in),
                                    "gen_ai.output.messages": json.dumps([{"role": "assistant",
                                                                           "content": "I can offer a discount."}])},
                     parent=1),
            )
        ],
    )
    ingest(DAY)
    assert turns(warehouse, "conv-g") == [
        ("customer", "I want to cancel"),
        ("agent", "Sorry to hear that."),
        ("customer", "It is too expensive"),
        ("agent", "I can offer a discount."),
    ]
    kinds = rows(warehouse, "select span_id, kind from raw.spans order by span_id")
    assert [k["kind"] for k in kinds] == ["AGENT", "LLM", "TOOL", "LLM"]


def test_human_agent_input_and_output_values_are_turns_in_time_order(landing, warehouse, ingest):
    human = {**JOURNEY, "agent.type": "human", "conversation.id": "desk-7"}
    write_lines(
        landing / "human.jsonl",
        [
            request(
                span(4, 2, 5, 30, {"agent.type": "human", "input.value": "Where is my refund?",
                                   "output.value": "Checking now."}, parent=1),
                span(4, 1, 0, 120, human, name="contact"),
                span(4, 3, 40, 70, {"input.value": "Thanks", "output.value": "It was sent today."}, parent=1),
                span(4, 4, 90, 91, {"input.value": "Bye"}, parent=1),
            )
        ],
    )
    ingest(DAY)
    assert turns(warehouse, "desk-7") == [
        ("customer", "Where is my refund?"),
        ("agent", "Checking now."),
        ("customer", "Thanks"),
        ("agent", "It was sent today."),
        ("customer", "Bye"),
    ]
    (conversation,) = rows(warehouse, "select agent_type, started_at, ended_at from raw.conversations")
    assert conversation == {"agent_type": "human", "started_at": at(0), "ended_at": at(120)}


def test_livekit_user_input_and_response_text(landing, warehouse, ingest):
    write_lines(
        landing / "livekit.jsonl",
        [
            request(
                span(5, 1, 0, 60, {**JOURNEY, "channel": "voice", "lk.room_name": "call-1"}, name="agent_session"),
                span(5, 2, 10, 14, {"lk.user_input": "I cannot log in"}, parent=1, name="agent_turn"),
                span(5, 3, 10.5, 14, {"lk.response.text": "Let me reset your password."}, parent=2, name="llm_node"),
                span(5, 4, 20, 24, {"lk.user_input": "Done, thanks"}, parent=1, name="agent_turn"),
                span(5, 5, 20.5, 24, {"lk.response.text": "You are welcome."}, parent=4, name="llm_node"),
            )
        ],
    )
    ingest(DAY)
    assert turns(warehouse, "call-1") == [
        ("customer", "I cannot log in"),
        ("agent", "Let me reset your password."),
        ("customer", "Done, thanks"),
        ("agent", "You are welcome."),
    ]


def test_conversation_key_precedence_resolved_per_trace_and_across_traces(landing, warehouse, ingest):
    write_lines(
        landing / "keys.jsonl",
        [
            request(
                # Trace 10: the root's session.id outranks conversation.id, and the child (which only
                # carries the lower key) follows its trace.
                span(10, 1, 0, 10, {**JOURNEY, "session.id": "S", "conversation.id": "ticket-9"}),
                span(10, 2, 1, 2, {"conversation.id": "ticket-9"}, parent=1),
                # Trace 11: a later turn of the same session, in its own trace.
                span(11, 1, 30, 40, {**JOURNEY, "session.id": "S"}),
                # gen_ai.conversation.id outranks conversation.id; lk.room_name is last; else the trace id.
                span(12, 1, 0, 5, {**JOURNEY, "gen_ai.conversation.id": "G", "conversation.id": "X"}),
                span(13, 1, 0, 5, {**JOURNEY, "lk.room_name": "room-1"}),
                span(14, 1, 0, 5, JOURNEY),
            )
        ],
    )
    ingest(DAY)
    found = {r["conversation_id"]: r for r in rows(warehouse, "select * from raw.conversations")}
    assert set(found) == {"S", "G", "room-1", tid(14)}
    assert found["S"]["trace_ids"] == [tid(10), tid(11)]
    assert found["S"]["span_count"] == 3
    spans = rows(warehouse, "select trace_id, conversation_id from raw.spans where trace_id = ?", tid(10))
    assert {s["conversation_id"] for s in spans} == {"S"}


def test_journey_attributes_on_root_every_span_or_resource_apply_to_the_conversation(landing, warehouse, ingest):
    def attrs(n: int) -> dict:
        return {**JOURNEY, "journey.id": f"jrn-{n}", "customer.id": f"cust-{n}"}

    resource_journey = {**attrs(3), "journey.channel": "email"}
    del resource_journey["channel"]
    write_lines(
        landing / "placement.jsonl",
        [
            # Root only; per-turn traces, with the outcome on the last trace's root only.
            request(
                span(20, 1, 0, 10, {**attrs(1), "session.id": "root-only"}),
                span(20, 2, 1, 2, {"session.id": "root-only"}, parent=1),
                span(21, 1, 20, 30, {**attrs(1), "session.id": "root-only", "journey.stage.outcome": "Escalated"}),
            ),
            # Every span.
            request(
                span(22, 1, 0, 10, {**attrs(2), "session.id": "every", "journey.stage.outcome": "completed"}),
                span(22, 2, 1, 2, {**attrs(2), "session.id": "every", "journey.stage.outcome": "completed"}, parent=1),
            ),
            # The resource (a per-conversation worker), with journey.channel for channel.
            request(
                span(23, 1, 0, 10, {"session.id": "resource"}),
                span(23, 2, 1, 2, {"session.id": "resource"}, parent=1),
                resource={**resource_journey, "journey.stage.outcome": "abandoned"},
            ),
        ],
    )
    ingest(DAY)
    found = {
        r.pop("conversation_id"): r
        for r in rows(
            warehouse,
            "select conversation_id, journey_id, customer_id, journey_name, stage, channel, agent_type, segment,"
            " consent, outcome from raw.conversations",
        )
    }
    common = {"journey_name": "streaming_onboarding", "stage": "payment", "agent_type": "ai",
              "segment": "standard", "consent": "granted"}
    assert found == {
        "root-only": {"journey_id": "jrn-1", "customer_id": "cust-1", "channel": "chat", "outcome": "escalated", **common},
        "every": {"journey_id": "jrn-2", "customer_id": "cust-2", "channel": "chat", "outcome": "completed", **common},
        "resource": {"journey_id": "jrn-3", "customer_id": "cust-3", "channel": "email", "outcome": "abandoned", **common},
    }


def test_span_kind_sources_and_otlp_enums_as_integers_or_names(landing, warehouse, ingest):
    write_lines(
        landing / "kinds.jsonl",
        [
            request(
                span(30, 1, 0, 10, {**JOURNEY, "fi.span.kind": "TOOL"}, kind=2),
                span(30, 2, 1, 2, {"openinference.span.kind": "llm"}, parent=1, kind="SPAN_KIND_CLIENT"),
                span(30, 3, 1, 2, {"gen_ai.span.kind": "AGENT"}, parent=1),
                span(30, 4, 1, 2, {"gen_ai.operation.name": "execute_tool"}, parent=1),
                span(30, 5, 1, 2, {}, parent=1, kind=0),
            )
        ],
    )
    ingest(DAY)
    found = rows(warehouse, "select span_id, kind, otel_kind from raw.spans order by span_id")
    assert [(s["kind"], s["otel_kind"]) for s in found] == [
        ("TOOL", "SERVER"),
        ("LLM", "CLIENT"),
        ("AGENT", "INTERNAL"),
        ("TOOL", "INTERNAL"),
        (None, "UNSPECIFIED"),
    ]


def test_every_attribute_is_kept_with_typed_any_values_decoded(landing, warehouse, ingest):
    line = request(span(40, 1, 0, 10, {**JOURNEY, "session.id": "types"}))
    line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"] += [
        {"key": "count", "value": {"intValue": "7"}},
        {"key": "as_number", "value": {"intValue": 8}},
        {"key": "ratio", "value": {"doubleValue": 0.25}},
        {"key": "flag", "value": {"boolValue": True}},
        {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "2"}]}}},
        {"key": "queue", "value": {"kvlistValue": {"values": [{"key": "name", "value": {"stringValue": "billing"}},
                                                                {"key": "wait", "value": {"intValue": "30"}}]}}},
        {"key": "nested", "value": {"kvlistValue": {"values": [
            {"key": "inner", "value": {"arrayValue": {"values": [{"kvlistValue": {"values": [
                {"key": "x", "value": {"doubleValue": 1.5}}]}}]}}}]}}},
        {"key": "blob", "value": {"bytesValue": "aGk="}},
    ]
    first = line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    first["status"] = {"code": "STATUS_CODE_ERROR", "message": "boom"}
    first["startTimeUnixNano"] = int(first["startTimeUnixNano"])  # a JSON number, not a string
    first["traceId"] = first["traceId"].upper()
    write_lines(landing / "types.jsonl", [line])
    report = ingest(DAY)
    assert report.quarantined == 0
    (stored,) = rows(
        warehouse, "select trace_id, start_time, attributes, resource_attributes, status_code, status_message from raw.spans"
    )
    assert (stored["trace_id"], stored["start_time"]) == (tid(40), at(0))
    attributes = json.loads(stored["attributes"])
    assert {k: v for k, v in attributes.items() if k not in JOURNEY} == {
        "session.id": "types",
        "count": 7,
        "as_number": 8,
        "ratio": 0.25,
        "flag": True,
        "tags": ["a", 2],
        "queue": {"name": "billing", "wait": 30},
        "nested": {"inner": [{"x": 1.5}]},
        "blob": "aGk=",
    }
    assert json.loads(stored["resource_attributes"]) == {"service.name": "test-agent"}
    assert (stored["status_code"], stored["status_message"]) == ("ERROR", "boom")


def test_csat_answers_are_journey_events_not_conversations(landing, warehouse, ingest):
    survey = {"journey.id": "jrn-9", "customer.id": "cust-9", "journey.name": "billing_dispute"}
    write_lines(
        landing / "csat.jsonl",
        [
            request(
                span(50, 1, 100, 101, {**survey, "csat.score": 4}, name="csat.survey.response"),
                span(51, 1, 200, 201, {**survey, "csat.score": "2"}),
            )
        ],
    )
    report = ingest(DAY)
    assert report.journey_events == 2 and report.conversations == 0
    events = rows(warehouse, "select * exclude (ingested_at) from raw.journey_events order by recorded_at")
    assert [(e["event_id"], e["event_type"], e["journey_id"], e["customer_id"], e["journey_name"],
             e["csat_score"], e["recorded_at"]) for e in events] == [
        (f"{tid(50)}:{1:016x}", "csat", "jrn-9", "cust-9", "billing_dispute", 4, at(100)),
        (f"{tid(51)}:{1:016x}", "csat", "jrn-9", "cust-9", "billing_dispute", 2, at(200)),
    ]
    assert rows(warehouse, "select count(*) as n from raw.conversations") == [{"n": 0}]
