"""The convention attributes of a span or resource as text, and those of a type their convention
does not allow.

decode.py calls `convention_texts` while a span's attributes are at hand as Python values, where
a value's type costs nothing to read; flatten.py then reads plain text (`json_extract_string` of
one small JSON object per span) and only orders the quarantine reasons.
"""

from __future__ import annotations

from typing import Any

import orjson

from orchestration.ingest.conventions import (
    CONSENT_ATTRIBUTES,
    CONVERSATION_KEYS,
    CSAT_SCORE_KEY,
    JOURNEY_ATTRIBUTES,
    JSON_MESSAGE_KEYS,
    convention_keys,
)

# Keys read as text: a string, or an integer read as its digits (docs/trace-contract.md).
TEXT_KEYS = frozenset((*CONVERSATION_KEYS, *(k for keys in JOURNEY_ATTRIBUTES.values() for k in keys)))
_KEYS = frozenset(convention_keys())
_STRING = frozenset({str})
_BOOLEAN_KEYS = frozenset(CONSENT_ATTRIBUTES.values())
_NEEDS_CHECK = frozenset((CSAT_SCORE_KEY, *JSON_MESSAGE_KEYS, *_BOOLEAN_KEYS))
_TYPE_NAMES = {
    str: "string",
    int: "int",
    float: "double",
    bool: "bool",
    list: "array",
    dict: "kvlist",
    type(None): "empty",
}


def convention_texts(attributes: dict[str, Any] | None) -> tuple[bytes | None, str | None]:
    """(The convention attributes as a JSON object of texts, or None without any; the details of
    those of a wrong type, '; '-separated in key order, or None.)

    A text is the string itself, an integer's or double's digits, `true`/`false`; the GenAI message
    arrays are kept as JSON text; any other structured value has no text."""
    if not attributes:
        return None, None
    found = _KEYS.intersection(attributes)
    if not found:
        return None, None
    values = {key: attributes[key] for key in found}
    if _STRING.issuperset(map(type, values.values())) and found.isdisjoint(_NEEDS_CHECK):
        return orjson.dumps(values), None  # the common case: strings only, nothing to check
    texts: dict[str, str | None] = {}
    wrong: list[str] = []
    for key in sorted(values):
        value = values[key]
        fault = _fault(key, value)
        if fault:
            wrong.append(fault)
        texts[key] = _text(key, value)
    return orjson.dumps(texts), "; ".join(wrong) or None


def _fault(key: str, value: Any) -> str | None:
    kind = type(value)
    if key in TEXT_KEYS and kind not in (str, int):
        return f"{key} must be a string, not {_TYPE_NAMES.get(kind, kind.__name__)}"
    # A consent decision written as the string "true"/"false" is taken rather than lost.
    if key in _BOOLEAN_KEYS and not (kind is bool or (kind is str and value.strip().lower() in ("true", "false"))):
        return f"{key} must be a bool, not {_TYPE_NAMES.get(kind, kind.__name__)}"
    if key == CSAT_SCORE_KEY and not (kind in (int, float) or (kind is str and _is_number(value))):
        return f"{key} must be a number, not {_TYPE_NAMES.get(kind, kind.__name__)}"
    if key in JSON_MESSAGE_KEYS and not (kind is list or (kind is str and _is_json_array(value))):
        return f"{key} is not a JSON array of messages"
    return None


def _text(key: str, value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and key in JSON_MESSAGE_KEYS:
        return orjson.dumps(value).decode()
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_json_array(text: str) -> bool:
    try:
        return isinstance(orjson.loads(text), list)
    except orjson.JSONDecodeError:
        return False
