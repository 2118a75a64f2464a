"""Personal data in free text replaced by typed placeholders: `[EMAIL]`, `[PHONE]`, `[CARD]`,
`[IBAN]`, `[ADDRESS]`.

Used by ingestion (orchestration/ingest/redact.py) before anything is stored, and by calibration
(`journeys calibrate --redact`) to measure the evaluators on redacted dialogues. A placeholder keeps
the fact that a value was given, so a re-asked email is still a re-ask.

Detectors favour precision, with checksums where a number has one:
- emails by pattern;
- phone numbers parsed and validated by libphonenumber (`phonenumbers`, Leniency.VALID) in the
  default region; a digit-run pattern picks the candidates first, because the pure-Python parser
  costs ~100 us per call and most text has no candidate at all;
- payment card numbers with a card network's prefix and length that pass the Luhn checksum, so
  order and ticket numbers stay;
- IBANs that pass the ISO 13616 mod-97 checksum;
- US street addresses that end in a state code and a ZIP code (a house number, a street with a
  suffix, a city). Addresses without a postal code are not detected.

No Dagster and nothing from orchestration/ here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import NamedTuple

import phonenumbers


class PiiType(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CARD = "card"
    IBAN = "iban"
    ADDRESS = "address"

    @property
    def placeholder(self) -> str:
        return f"[{self.value.upper()}]"


PLACEHOLDERS: dict[PiiType, str] = {t: t.placeholder for t in PiiType}
DEFAULT_REGION = "US"

# Phone candidates remembered per Redactor, with libphonenumber's verdict: a trace repeats the
# conversation so far in every LLM span, so the same number comes back many times, and the parser
# is the costly step (a bound keeps a long run's memory flat).
_MEMO_SIZE = 100_000
# E.164 allows 15 digits; a longer candidate may hold two numbers, and goes to the parser.
_MAX_PHONE_DIGITS = 15
# Python's `re` finds a match quickly only when the pattern starts with a character or a class:
# it then skips in C to the characters that can start one. A lookbehind in front turns that off
# (the whole pattern is tried at every position, ~60 ns a character), so the patterns below
# consume their first character and look behind it afterwards: `X(?<!Y.)` is `(?<!Y)X`.
#
# Text may be JSON (ingestion redacts attribute JSON as text): a match may follow an escaped
# newline or tab (`\n`), and never starts inside an escape. `_AFTER_START` is that condition on
# the character before a match's first one, checked once that first one is consumed.
_AFTER_START = r"(?:(?<![0-9A-Za-z].)|(?<=\\[nrt].))"
# What a match of each detector but the email one needs, searched before its own scan (which then
# runs on far fewer texts). Each need holds a digit and is written from its first digit on, with
# what comes before it looked behind, so that a scan skips in C from digit to digit (most text has
# few; written from their first character, the needs made every capital letter a start to try):
# two capitals and two digits (an IBAN's start); 13 digits with single separators, not continuing
# a number (cards); a state code and a ZIP code (addresses); for phones, 6 digits that do not
# continue a word or a number, and, unless a '+' or '(' comes first, end in neither (a run of
# digits with single separators that runs into a letter is an identifier, such as `resp_3f9a12`
# or a UUID's `172606dc`). Each is what the detector's own pattern requires, so a guard never
# turns a match away (tests/evals/test_redaction.py). An email needs an '@' (a plain `in`).
_NEEDS = {
    PiiType.IBAN: r"(?<=[A-Z][A-Z][0-9])[0-9]",
    PiiType.CARD: r"(?<![0-9].)(?<![0-9][ -].)(?:[ -]?[0-9]){12}",
    PiiType.ADDRESS: r"(?<=[A-Z][A-Z] [0-9])[0-9]{4}",
    PiiType.PHONE: _AFTER_START + r"(?<![0-9][ .-].)"
    r"(?:(?:[ .-]?[0-9]){5}(?:[ .-]?[0-9])*+(?![0-9A-Za-z])|(?<=[+(].)(?:[ ().\-/]{0,3}[0-9]){5})",
}
_NEEDED = {pii_type: re.compile(f"[0-9]{rest}") for pii_type, rest in _NEEDS.items()}
# Any of them, in one scan: most text has none (nor an '@') and is returned after it.
_ANY_NEEDED = re.compile("[0-9](?:" + "|".join(_NEEDS.values()) + ")")
_EMAIL_LOCAL = "A-Za-z0-9._%+-"
# The same characters as a set, for `_emails`' look back from an '@' (derived, so the two agree).
_EMAIL_LOCAL_CHARS = frozenset(c for c in map(chr, range(128)) if re.fullmatch(f"[{_EMAIL_LOCAL}]", c))
# The local part is possessive: a shorter one would end before a character of it, not an '@'.
_EMAIL = re.compile(
    rf"[{_EMAIL_LOCAL}](?<!\\.)[{_EMAIL_LOCAL}]*+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{{2,}}"
)
# Printed in groups of four (the last shorter), or unspaced.
_IBAN = re.compile(
    r"[A-Z]" + _AFTER_START + r"[A-Z][0-9]{2}(?:(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?|[A-Z0-9]{11,30})\b"
)
_CARD = re.compile(r"[0-9](?<![0-9].)(?<![0-9][ -].)(?:[ -]?[0-9]){12,18}(?![0-9A-Za-z])(?![ -][0-9])")
_CARD_BRAND = re.compile(
    r"4[0-9]{12}(?:[0-9]{3}){0,2}|5[1-5][0-9]{14}|2(?:2[2-9][0-9]|[3-6][0-9]{2}|7[01][0-9]|720)[0-9]{12}"
    r"|3[47][0-9]{13}|6(?:011|5[0-9]{2}|4[4-9][0-9])[0-9]{12,15}|35(?:2[89]|[3-8][0-9])[0-9]{12}"
    r"|3(?:0[0-5]|[68][0-9])[0-9]{11}"
)
# A phone number's shape: an optional +country code, an optional (area code), then 6 to 15 digits
# with single separators; not part of a longer digit run, nor running into a letter (a UUID's
# groups, such as `eb4f-4155-5512-34f7`, hold valid-looking numbers; a card number likewise).
_PHONE_CANDIDATE = re.compile(
    r"[+(0-9]" + _AFTER_START + r"(?<![0-9][ .-].)"
    r"(?:(?<=\+)[0-9]{1,3}[ .-]?(?:\([0-9]{1,5}\)[ .-]?)?[0-9]|(?<=\()[0-9]{1,5}\)[ .-]?[0-9]|(?<=[0-9]))"
    r"(?:[ .-]?[0-9]){5,14}(?![0-9A-Za-z])(?![ .-][0-9])"
)
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY"
    "|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_ADDRESS_BODY = (
    r"[0-9]" + _AFTER_START + r"[0-9]{0,5}[A-Za-z]?(?: [A-Z][A-Za-z]*\.?){1,4} "
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Highway|Hwy"
    r"|Parkway|Pkwy|Circle|Cir|Square|Sq)\.?"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|#) ?[0-9A-Za-z-]+)?"
    rf",? (?:[A-Z][a-z]+ ?){{1,3}},? (?:{_STATES}) [0-9]{{5}}(?:-[0-9]{{4}})?"
)
_ADDRESS = re.compile(_ADDRESS_BODY + r"\b")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """ISO 13616: the country code and check digits moved to the end, letters as 10..35, mod 97 = 1."""
    iban = text.replace(" ", "").upper()
    if not 15 <= len(iban) <= 34 or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    return int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1


def card_valid(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate)
    return _CARD_BRAND.fullmatch(digits) is not None and luhn_valid(digits)


class Redaction(NamedTuple):
    """Redacted text and what was taken out: (type, original value) per match, in order. A named
    tuple, not a dataclass: ingestion makes one per distinct value, and a tuple is built in C."""

    text: str
    found: tuple[tuple[PiiType, str], ...] = ()

    def counts(self) -> Counter[PiiType]:
        return Counter(t for t, _ in self.found)


class Redactor:
    """Replaces personal data in text; one per region (phonenumbers' default region for numbers
    written without a country code)."""

    def __init__(self, default_region: str = DEFAULT_REGION) -> None:
        region = default_region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{default_region!r} is not a region phonenumbers knows (ISO 3166-1 alpha-2, e.g. US, GB)")
        self.region = region
        self._phone_memo: dict[str, list[tuple[int, int]]] = {}
        # A number written without a country code is valid in the region only with one of these
        # digit counts (plus one for a trunk prefix); dates, amounts and order numbers mostly have
        # another, and are turned away before the parser, which is slow per candidate
        # (docs/benchmarks.md).
        lengths = phonenumbers.PhoneMetadata.metadata_for_region(region).general_desc.possible_length
        self._national_lengths = frozenset(n + extra for n in lengths for extra in (0, 1))
        # Order matters: cards and IBANs before phone numbers, whose parser would take a card's
        # digits as a number; addresses before phones, whose digits a ZIP code could start.
        # Each step has a guard: a quick test, on the text as the steps before left it, that the
        # step's scan could match.
        self._steps: tuple[_Step, ...] = (
            (PiiType.EMAIL, _emails, _whole, lambda text: "@" in text),
            (PiiType.IBAN, _IBAN.finditer, _iban_spans, _NEEDED[PiiType.IBAN].search),
            (PiiType.CARD, _CARD.finditer, lambda s: [(0, len(s))] if card_valid(s) else [], _NEEDED[PiiType.CARD].search),
            (PiiType.ADDRESS, _ADDRESS.finditer, _whole, _NEEDED[PiiType.ADDRESS].search),
            (PiiType.PHONE, _PHONE_CANDIDATE.finditer, self._phone_spans, _NEEDED[PiiType.PHONE].search),
        )

    def redact(self, text: str) -> Redaction:
        # Text that no guard passes is never changed by a step, so no later guard passes either.
        if not text or not may_hold_pii(text):
            return Redaction(text)
        found: list[tuple[PiiType, str]] = []
        for pii_type, scan, validate, guard in self._steps:
            if guard(text):
                text = _replace(text, pii_type, scan, validate, found)
        return Redaction(text, tuple(found))

    def _phone_spans(self, candidate: str) -> list[tuple[int, int]]:
        digits = sum(map(candidate.count, "0123456789"))
        if "+" not in candidate and digits not in self._national_lengths and digits <= _MAX_PHONE_DIGITS:
            return []
        if (known := self._phone_memo.get(candidate)) is not None:
            return known
        if len(self._phone_memo) >= _MEMO_SIZE:
            self._phone_memo.clear()
        spans = self._phone_memo[candidate] = [
            (m.start, m.end)
            for m in phonenumbers.PhoneNumberMatcher(candidate, self.region, leniency=phonenumbers.Leniency.VALID)
        ]
        return spans


def may_hold_pii(text: str) -> bool:
    """Whether any detector could match in `text` (one scan); when not, `Redactor.redact` returns
    it unchanged."""
    return "@" in text or _ANY_NEEDED.search(text) is not None


# A detector: its type, its scan for candidates, their validation (the spans of a candidate that
# are what it detects) and its guard.
_Step = tuple[
    PiiType, Callable[[str], Iterable[re.Match[str]]], Callable[[str], list[tuple[int, int]]], Callable[[str], object]
]


def _emails(text: str) -> Iterator[re.Match[str]]:
    """`_EMAIL.finditer(text)`, found from each '@' instead of tried at every letter: the local
    part is the run of its characters before the '@' (less one after a backslash, which `_EMAIL`
    does not start at), and any start within that run reaches the same '@' and domain."""
    searched = 0
    at = text.find("@")
    while at >= 0:
        start = at
        while start > searched and text[start - 1] in _EMAIL_LOCAL_CHARS:
            start -= 1
        if 0 < start < at and text[start - 1] == "\\":
            start += 1
        if start < at and (match := _EMAIL.match(text, start)) is not None:
            yield match
            searched = match.end()
            at = text.find("@", searched)
        else:
            at = text.find("@", at + 1)


def _whole(candidate: str) -> list[tuple[int, int]]:
    return [(0, len(candidate))]


def _iban_spans(candidate: str) -> list[tuple[int, int]]:
    """The longest valid IBAN the candidate starts with: a printed IBAN's last group can run into
    a following word of four capitals or digits, so trailing groups are dropped until one checks."""
    end = len(candidate)
    while end >= 15:
        if iban_valid(candidate[:end]):
            return [(0, end)]
        end = candidate.rfind(" ", 0, end)
        if end < 0:
            break
    return []


def _replace(
    text: str,
    pii_type: PiiType,
    scan: Callable[[str], Iterable[re.Match[str]]],
    validate: Callable[[str], list[tuple[int, int]]],
    found: list[tuple[PiiType, str]],
) -> str:
    parts: list[str] = []
    last = 0
    for match in scan(text):
        for start, end in validate(match.group()):
            start, end = match.start() + start, match.start() + end
            parts.append(text[last:start])
            parts.append(PLACEHOLDERS[pii_type])
            found.append((pii_type, text[start:end]))
            last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)
