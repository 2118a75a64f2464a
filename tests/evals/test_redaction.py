"""evals/redaction.py: each detector on values planted in several formats; numbers that fail their
checksum, and order numbers, stay."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.redaction import _EMAIL, PiiType, Redactor, _emails, _replace, card_valid, iban_valid, luhn_valid

# Test numbers published by the card networks and the IBAN registry's examples.
VALID_CARDS = ["4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444", "3782 822463 10005"]
LUHN_INVALID_CARDS = ["4111 1111 1111 1112", "5555555555554445", "3782 822463 10006"]
VALID_IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR14 2004 1010 0505 0001 3M02 606"]
INVALID_IBANS = ["GB82 WEST 1234 5698 7654 33", "DE89370400440532013001"]
PHONES = ["(415) 555-2671", "415-555-2671", "415.555.2671", "+1 415 555 2671", "+44 20 7946 0958", "+49 30 901820"]
EMAILS = ["jane.doe@example.com", "j_doe+billing@mail.example.co.uk", "ABC123@Example.ORG"]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor("US")


@pytest.mark.parametrize(
    ("value", "pii_type"),
    [(v, PiiType.EMAIL) for v in EMAILS]
    + [(v, PiiType.PHONE) for v in PHONES]
    + [(v, PiiType.CARD) for v in VALID_CARDS]
    + [(v, PiiType.IBAN) for v in VALID_IBANS]
    + [("1600 Pennsylvania Ave, Washington, DC 20500", PiiType.ADDRESS),
       ("221 Baker Street, Apt 4, Springfield, IL 62704-1234", PiiType.ADDRESS)],
)
def test_a_planted_value_becomes_its_typed_placeholder(redactor: Redactor, value: str, pii_type: PiiType) -> None:
    result = redactor.redact(f"Sure, it is {value}. Thanks!")
    assert result.text == f"Sure, it is {pii_type.placeholder}. Thanks!"
    assert result.found == ((pii_type, value),)
    assert result.counts() == {pii_type: 1}


@pytest.mark.parametrize(
    "value",
    [*LUHN_INVALID_CARDS, *INVALID_IBANS, "order 1234567890123", "ACC-4821-9932", "ticket 48291173", "555-1234",
     "2026-11-05", "12345"],
)
def test_numbers_failing_their_checksum_and_order_numbers_stay(redactor: Redactor, value: str) -> None:
    text = f"my reference is {value} thanks"
    assert redactor.redact(text).text == text


@pytest.mark.parametrize(
    "identifier",
    [
        "57fbe40f-eb4f-4155-5512-34f7f3722d71",  # a UUID whose groups read as a valid US number
        "conv-4155552671ab",
        "4111111111111111f0c2",  # a card number's digits inside a hex id
    ],
)
def test_digits_running_into_letters_are_an_identifier_not_a_phone_or_card(redactor: Redactor, identifier: str) -> None:
    """A conversation or trace id was redacted to `57fbe40f-eb4f-[PHONE]f7f3722d71`, which breaks
    every join on it; a number written in text never runs straight into a letter."""
    text = f"conversation {identifier} reopened"
    assert redactor.redact(text).text == text


def test_counts_by_type_and_every_occurrence_replaced(redactor: Redactor) -> None:
    text = "a@b.io or c@d.io, card 4111111111111111, call +1 415 555 2671, iban DE89370400440532013000"
    result = redactor.redact(text)
    assert result.text == "[EMAIL] or [EMAIL], card [CARD], call [PHONE], iban [IBAN]"
    assert result.counts() == {PiiType.EMAIL: 2, PiiType.CARD: 1, PiiType.PHONE: 1, PiiType.IBAN: 1}


def test_redacting_twice_changes_nothing_more(redactor: Redactor) -> None:
    once = redactor.redact("mail me at x@y.com or call (415) 555-2671").text
    assert redactor.redact(once).text == once
    assert redactor.redact(once).found == ()


def test_the_default_region_reads_numbers_without_a_country_code() -> None:
    uk_number = "020 7946 0958"
    assert Redactor("GB").redact(f"call {uk_number}").text == "call [PHONE]"
    assert Redactor("US").redact(f"call {uk_number}").text == f"call {uk_number}"


def test_an_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="region"):
        Redactor("XX")


def test_checksums() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert iban_valid("GB82WEST12345698765432") and not iban_valid("GB82WEST12345698765433")
    assert card_valid("4111-1111-1111-1111") and not card_valid("1234567812345670")  # Luhn-valid, no network


@pytest.mark.parametrize(
    ("value", "pii_type"),
    [(EMAILS[0], PiiType.EMAIL), (PHONES[0], PiiType.PHONE), (PHONES[3], PiiType.PHONE), (VALID_CARDS[0], PiiType.CARD),
     (VALID_IBANS[1], PiiType.IBAN), ("1600 Pennsylvania Ave, Washington, DC 20500", PiiType.ADDRESS)],
)
def test_a_match_starts_at_the_text_or_after_an_escape_never_inside_a_word(
    redactor: Redactor, value: str, pii_type: PiiType
) -> None:
    # The detectors look behind a match's first character: where a match may start is their contract.
    placeholder = pii_type.placeholder
    assert redactor.redact(value).text == placeholder
    assert redactor.redact(f'["hello\\n{value}", "{value}\\t"]').text == f'["hello\\n{placeholder}", "{placeholder}\\t"]'
    if pii_type in (PiiType.PHONE, PiiType.IBAN, PiiType.ADDRESS) and value[0].isalnum():
        assert redactor.redact(f"ref{value}").found == ()  # an identifier, not a number


# Text around planted values: words, digit runs, capitals and the separators the detectors read.
_FILLER = st.text(alphabet="ab CA DC0123456789+()-./,@#\\n\t", max_size=12)
_PLANTED = st.sampled_from(
    [*EMAILS, *PHONES, *VALID_CARDS, *LUHN_INVALID_CARDS, *VALID_IBANS, *INVALID_IBANS,
     "1600 Pennsylvania Ave, Washington, DC 20500", "ORD-2026-342288", "GB82", "NY 10001"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_FILLER, _PLANTED), max_size=8).map("".join))
def test_the_quick_tests_before_each_detector_never_turn_away_a_match(text: str) -> None:
    # may_hold_pii and each step's guard only save time: without them the result is the same.
    redactor = Redactor("US")
    unguarded, found = text, []
    for pii_type, scan, validate, _guard in redactor._steps:
        unguarded = _replace(unguarded, pii_type, scan, validate, found)
    redaction = redactor.redact(text)
    assert (redaction.text, list(redaction.found)) == (unguarded, found)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab.Z9_%+-@ \\nx", max_size=30).map(lambda t: t + "@example.com" if len(t) % 3 else t))
def test_emails_found_from_each_at_sign_are_the_pattern_s_own_matches(text: str) -> None:
    # The email detector looks back from each '@' instead of trying the pattern at every letter.
    assert [m.span() for m in _emails(text)] == [m.span() for m in _EMAIL.finditer(text)]
