"""Personal data taken out of spans as they are decoded, before ingestion writes or keeps anything
(the detectors are evals/redaction.py).

The one point where ingestion redacts is the decoder (decode.py): each attribute value, event and
link attribute, status message and quarantined raw text passes through `ValueRedactor` as it is
read, in whichever process decodes the file. Everything built from the decoded tables is then
clean: raw.spans' attributes, events and links, the transcripts in raw.conversations, quarantine
raw_text, the decode cache, and so what the evaluators, the judge, the marts, the snapshot and the
pages see. Landing files stay as they are.

Redacting values, not the attribute JSON as text, is what keeps it cheap: an LLM span repeats the
conversation so far, so the same message comes back in span after span, and each distinct value
is judged once (remembered per decoder) however often it is repeated.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa

from evals.redaction import Redaction, Redactor

FINDINGS_SCHEMA = pa.schema(
    [("span_key", pa.int64()), ("pii_type", pa.string()), ("value_hash", pa.int64())]
)
# With JOURNEYS_KEEP_RAW_PII (opt-in), the spans' attributes and events as decoded, for the spans
# redaction changed: raw.spans keeps them beside the redacted ones until purged (docs/privacy.md).
ORIGINALS_SCHEMA = pa.schema(
    [("span_key", pa.int64()), ("attributes_raw", pa.string()), ("events_raw", pa.string())]
)
# Distinct values remembered per decoder, clean ones and those with a verdict, each up to this
# many; the bound keeps a long run's memory flat (a memo is dropped and refilled when it is reached).
_MEMO_SIZE = 200_000
# A number needs at least this many digits to be a phone, card or IBAN digit run (evals/redaction.py's
# prefilter): smaller integers, most of those in attributes (token counts, status codes), are skipped.
_SMALLEST_CANDIDATE = 10_000
# The JSON escapes that hide a character from a scan of the JSON text: `\u0040` is an '@', and a
# number after `\b` or `\f` starts after a non-letter in the string but after a letter in the text
# (`\n`, `\r` and `\t` the detectors read as the escapes they are). A JSON text holding one is
# parsed and redacted value by value instead.
_HIDING_ESCAPE = re.compile(r"\\[ubf]")


@dataclass(frozen=True)
class RedactionConfig:
    """What the decoder needs to redact (picklable, for the decode worker processes)."""

    default_region: str
    keep_raw_pii: bool = False

    def __post_init__(self) -> None:
        Redactor(self.default_region)  # an unknown region is a clear error here, not in a worker


Found = list[tuple[str, str]]  # (pii type, original value) per match


class ValueRedactor:
    """Redacts decoded values with one Redactor, remembering each distinct string's verdict, and
    times itself (`seconds`) so that ingestion can report what redaction cost.

    One per process and configuration (`for_config`): a decode worker reads file after file of
    the same traffic, whose customers, numbers and messages come back from file to file."""

    def __init__(self, config: RedactionConfig) -> None:
        self.config = config
        self._redactor = Redactor(config.default_region)
        # Values known to hold nothing (strings judged clean, and scalars), in a set so that a
        # whole attribute dict of them is recognised in one C-level pass (`set.issuperset`); most
        # spans repeat their trace's values. The strings that held something, with their verdict.
        self._clean: set[Any] = set()
        self._dirty: dict[str, Redaction] = {}
        self.seconds = 0.0

    @staticmethod
    @functools.cache
    def for_config(config: RedactionConfig) -> ValueRedactor:
        return ValueRedactor(config)

    def attributes(self, plain: dict[str, Any] | None, found: Found) -> dict[str, Any] | None:
        """An attribute dict (otlp_values.encode_attributes) redacted; the same object when nothing
        in it was, so that its JSON need not be written again."""
        if not plain:
            return plain
        started = time.perf_counter()
        try:
            clean = self._clean
            try:
                if clean.issuperset(plain.values()):
                    return plain
            except TypeError:  # an array or kvlist value (a list or dict) is not hashable
                pass
            changed: dict[str, Any] | None = None
            for key, value in plain.items():
                try:
                    if value in clean:
                        continue
                except TypeError:
                    pass
                before = len(found)
                redacted = self._value(value, found)
                if len(found) > before:
                    changed = changed or dict(plain)
                    changed[key] = redacted
            return plain if changed is None else changed
        finally:
            self.seconds += time.perf_counter() - started

    def message(self, text: str, found: Found) -> str:
        """A span's status message, redacted."""
        started = time.perf_counter()
        try:
            return self._text(text, found)
        finally:
            self.seconds += time.perf_counter() - started

    def raw_text(self, text: str | None) -> str | None:
        """A quarantined line's or part's text, redacted (its matches are not attributed to a
        conversation: a line that cannot be decoded has none)."""
        if not text:
            return text
        started = time.perf_counter()
        try:
            return self._redactor.redact(text).text
        finally:
            self.seconds += time.perf_counter() - started

    def _text(self, text: str, found: Found) -> str:
        """`text` with its personal data replaced; what was found is appended to `found`."""
        if text in self._clean:
            return text
        result = self._dirty.get(text)
        if result is None:
            result = self._judge(text)
            if result is None:
                self._remember_clean(text)
                return text
            self._remember_dirty(text, result)
        found.extend(result.found)
        return result.text

    def _judge(self, text: str) -> Redaction | None:
        """A new string's verdict. A JSON text (GenAI's `gen_ai.input.messages` repeats the
        conversation so far as one JSON text in every span) is judged piece by piece between its
        quotes, so that each message is judged once however many spans repeat it; where that
        cannot be used (an escape hides a character from the text, or a number outside any string
        was found, whose placeholder would break the JSON), it is parsed and judged value by value."""
        if text[:1] in ("[", "{") and '"' in text:
            found: Found = []
            if _HIDING_ESCAPE.search(text) is None:
                redacted = self._by_piece(text, found)
                if not found:
                    return None
                if _parsed(redacted) is not None:
                    return Redaction(redacted, tuple(found))
                found = []
            parsed = _parsed(text)
            if parsed is not None:
                clean = self._value(parsed, found)
                return Redaction(orjson.dumps(clean).decode(), tuple(found)) if found else None
        result = self._redactor.redact(text)
        if not result.found:
            return None
        return Redaction(result.text, tuple((str(t), v) for t, v in result.found))

    def _by_piece(self, text: str, found: Found) -> str:
        """`text` redacted as the pieces between its quotes, each remembered. That is exact for any
        text: no detector's match holds a '"', and every detector reads one beside a match as it
        reads the start or end of a text (evals/redaction.py); only the order of `found` differs."""
        pieces = text.split('"')
        # Set operations and `map` keep the per-piece work in C: a history's pieces are mostly
        # known, and only the new and the redacted ones take Python.
        redacted: dict[str, str] = {}
        for piece in set(pieces).difference(self._clean):
            before = len(found)
            clean = self._text(piece, found)  # no piece holds a '"': it is not split again
            if len(found) > before:
                redacted[piece] = clean
                found.extend(found[before:] * (pieces.count(piece) - 1))
        return '"'.join(map(redacted.get, pieces, pieces)) if redacted else text

    def _value(self, value: Any, found: Found) -> Any:
        kind = value.__class__
        if kind is str:
            return self._text(value, found)
        if kind is int and abs(value) >= _SMALLEST_CANDIDATE:
            # A number (a phone or card number sent as an intValue) becomes its placeholder string.
            before = len(found)
            text = self._text(str(value), found)
            if len(found) > before:
                return text
            self._remember_clean(value)
            return value
        if kind is list:
            return [self._value(v, found) for v in value]
        if kind is dict:
            return {k: self._value(v, found) for k, v in value.items()}
        if kind is not float or not value.is_integer():
            # bool, None, a small int or a fraction. An integral float is left out: it equals the
            # int of the same value, which may be a phone number sent as an intValue.
            self._remember_clean(value)
        return value

    def _remember_clean(self, value: Any) -> None:
        if len(self._clean) >= _MEMO_SIZE:
            self._clean.clear()
        self._clean.add(value)

    def _remember_dirty(self, text: str, result: Redaction) -> None:
        if len(self._dirty) >= _MEMO_SIZE:
            self._dirty.clear()
        self._dirty[text] = result


def _parsed(text: str) -> list | dict | None:
    """The JSON array or object `text` holds, if it holds one."""
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list | dict) else None


def findings_table(span_rows: list[int], found: list[Found]) -> pa.Table:
    """FINDINGS_SCHEMA rows, one per (span, match); value_hash tells values apart within the run
    (the values themselves are never kept)."""
    keys, types, hashes = [], [], []
    for row, matches in zip(span_rows, found, strict=True):
        for pii_type, value in matches:
            keys.append(row)
            types.append(pii_type)
            hashes.append(hash(value))
    return pa.table(
        {"span_key": pa.array(keys, pa.int64()), "pii_type": pa.array(types, pa.string()),
         "value_hash": pa.array(hashes, pa.int64())},
        schema=FINDINGS_SCHEMA,
    )
