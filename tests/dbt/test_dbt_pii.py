"""Personal-data and redaction detection in stg_conversations (the leak check), one customer
sentence per conversation, through the real model (dbt_project/macros/pii.sql)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from dbt_harness import Conversation, DbtWarehouse

FLAGS = (
    "has_pii_email",
    "has_pii_phone",
    "has_pii_payment_card",
    "has_pii_iban",
    "has_pii_postal_address",
    "has_redaction_marker",
)

# sentence -> the flags it must raise (every other flag must stay false).
EXAMPLES: dict[str, set[str]] = {
    "Hi, my email is jamie.doe+tv@example.co.uk": {"has_pii_email"},
    "Write to A.B@mail.example.org please": {"has_pii_email"},
    "The site is example.com": set(),
    "Call me on +1 415 555 0100": {"has_pii_phone"},
    "My number is (415) 555-0100": {"has_pii_phone"},
    "Mobile 07700 900123": {"has_pii_phone"},
    "Try 415.555.0100 after six": {"has_pii_phone"},
    "London office +44 20 7946 0958": {"has_pii_phone"},
    "It was on 2026-11-05 at 10:30": set(),
    "Order 12345678 is late": set(),
    "Ticket ORD-2026-1234 costs $1,299.00": set(),
    "Charge card 4111 1111 1111 1111 please": {"has_pii_payment_card"},
    "Mastercard 5555-5555-5555-4444": {"has_pii_payment_card"},
    "Amex 378282246310005": {"has_pii_payment_card"},
    "Discover 6011111111111117": {"has_pii_payment_card"},
    "Card 4111111111111112 (bad checksum)": set(),
    "Reference 1234567890123": set(),
    "Send it to 221B Baker Street": {"has_pii_postal_address"},
    "We are at 1600 Pennsylvania Avenue NW": {"has_pii_postal_address"},
    "I live at 12 main st": {"has_pii_postal_address"},
    "Postcode NW1 6XE": {"has_pii_postal_address"},
    "Washington, DC 20500": {"has_pii_postal_address"},
    "My order ID 12345 is missing": set(),
    "It took 2 days one way": set(),
    "IBAN GB82 WEST 1234 5698 7654 32": {"has_pii_iban"},
    "Pay to DE89370400440532013000 today": {"has_pii_iban"},
    "IBAN GB82 WEST 1234 5698 7654 33 (bad checksum)": set(),
    "Your card ending ****1234 was charged": {"has_redaction_marker"},
    "My IBAN is [IBAN] and my card [CARD]": {"has_redaction_marker"},
    "I gave you <EMAIL> already": {"has_redaction_marker"},
    "Details: [REDACTED]": {"has_redaction_marker"},
    "Number: [PHONE NUMBER]": {"has_redaction_marker"},
    "I <3 this app, a * b, [note]": set(),
}


@pytest.fixture(scope="module")
def flags(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bool]]:
    start = datetime(2026, 11, 2, 9, 0)
    conversations = [
        Conversation(
            f"pii{i:02d}",
            f"P{i:02d}",
            "sign-up",
            "chat",
            start + timedelta(minutes=i),
            start + timedelta(minutes=i, seconds=30),
            says=(sentence,),
        )
        for i, sentence in enumerate(EXAMPLES)
    ]
    warehouse = DbtWarehouse.create(Path(tmp_path_factory.mktemp("pii")), conversations, [])
    # The planted values are leaks, so the leak test fails: built with `run`, tested below.
    warehouse.dbt("run", "--select", "stg_conversations")
    rows = warehouse.records(f"select conversation_id, {', '.join(FLAGS)} from staging.stg_conversations")
    by_id = {row.pop("conversation_id"): row for row in rows}
    return {sentence: by_id[f"pii{i:02d}"] for i, sentence in enumerate(EXAMPLES)}


@pytest.mark.parametrize("sentence", list(EXAMPLES))
def test_detection(flags: dict[str, dict[str, bool]], sentence: str) -> None:
    raised = {flag for flag, value in flags[sentence].items() if value}
    assert raised == EXAMPLES[sentence]


@pytest.mark.parametrize(
    ("sentence", "leaks"),
    [
        # One unredacted value of each type the redactor removes.
        ("Reach me at jamie.doe@example.com", True),
        ("Card 4111 1111 1111 1111", True),
        ("IBAN DE89370400440532013000", True),
        ("Call me on (415) 555-2671", True),
        ("London office +44 20 7946 0958", True),
        ("Ship it to 1600 Pennsylvania Ave, Washington, DC 20500", True),
        # Every placeholder, and what the redactor keeps: checksum-invalid numbers, a number
        # libphonenumber does not validate in the default region (US), an address without a ZIP.
        ("Reach me at [EMAIL], card [CARD], IBAN [IBAN], phone [PHONE], address [ADDRESS]", False),
        ("Card 4111 1111 1111 1112 and IBAN DE89370400440532013001 (both fail their checksum)", False),
        ("Call (123) 456-7890 or 07700 900123, or come to 221B Baker Street", False),
    ],
)
def test_the_leak_check_fails_on_personal_data_of_any_type_left_in_a_turn(
    tmp_path: Path, sentence: str, leaks: bool
) -> None:
    start = datetime(2026, 11, 2, 9, 0)
    conversation = Conversation("c1", "J1", "sign-up", "chat", start, start + timedelta(seconds=30), says=(sentence,))
    warehouse = DbtWarehouse.create(tmp_path, [conversation], [])
    warehouse.dbt("run", "--select", "stg_conversations")
    result = warehouse.dbt("test", "--select", "stg_conversations_no_pii_leak", expect_success=not leaks)
    assert ("FAIL 1" in result.stdout) == leaks
