"""docs/trace-contract.md's instrumentation example: included verbatim in the doc, and it works."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from ingest_builders import rows

from orchestration.ingest import ingest_partition, landing_file_days
from orchestration.ingest.landing import list_landing_files
from orchestration.settings import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "instrument_agent.py"


def test_the_contract_page_includes_the_example_verbatim():
    page = (REPO_ROOT / "docs" / "trace-contract.md").read_text()
    assert f"```python\n{EXAMPLE.read_text()}```" in page


def test_the_example_exports_to_journeys_serve_and_ingests_as_documented(receiver, warehouse):
    spec = importlib.util.spec_from_file_location("instrument_agent", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main(endpoint=receiver.traces_url, session_id="sess-doc-test")
    assert_ingests_as_documented(receiver.landing, warehouse)


def test_the_example_writes_otlp_json_files_with_file_dir_and_they_ingest_as_documented(tmp_path, warehouse):
    """`python docs/examples/instrument_agent.py --file DIR`, as the page says to run it: no receiver."""
    landing = tmp_path / "landing"
    command = [sys.executable, str(EXAMPLE), "--file", str(landing), "--session-id", "sess-doc-test",
               "--endpoint", "http://127.0.0.1:9/v1/traces"]  # a closed port: nothing may be sent there
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    written = sorted(landing.iterdir())
    assert written and all(p.name.startswith("traces-") and p.suffix == ".jsonl" for p in written)  # no .tmp left
    lines = [json.loads(line) for p in written for line in p.read_text().splitlines()]
    spans = [s for line in lines for rs in line["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    assert len(spans) == 4
    assert all(len(s["traceId"]) == 32 and int(s["traceId"], 16) for s in spans)  # hex, as OTLP/JSON has them
    assert_ingests_as_documented(landing, warehouse)


def assert_ingests_as_documented(landing: Path, warehouse) -> None:
    (day,) = {d for f in list_landing_files(landing) for d in landing_file_days(Path(f.path))}
    report = ingest_partition(warehouse, landing, day)
    assert (report.conversations, report.journey_events, report.quarantined) == (1, 1, 0)
    (conversation,) = rows(warehouse, "select * from raw.conversations")
    assert {k: conversation[k] for k in ("conversation_id", "journey_id", "customer_id", "journey_name", "stage",
                                         "channel", "agent_type", "segment", "consent", "outcome")} == {
        "conversation_id": "sess-doc-test",
        "journey_id": "jrn-0042-onboarding",
        "customer_id": "cust-0042",
        "journey_name": "streaming_onboarding",
        "stage": "payment",
        "channel": "chat",
        "agent_type": "ai",
        "segment": "premium",
        "consent": "granted",
        "outcome": "completed",
    }
    assert [(t["role"], t["text"]) for t in conversation["turns"]] == [
        ("customer", "My card was declined."),
        ("agent", "Sorry about that! Which card did you use?"),
        ("customer", "It is a Visa ending 4242."),
        ("agent", "Thanks, I have retried it and it went through."),
    ]
    (event,) = rows(warehouse, "select journey_id, csat_score from raw.journey_events")
    assert event == {"journey_id": "jrn-0042-onboarding", "csat_score": 5}
