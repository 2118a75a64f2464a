"""OTLP/JSON values as plain JSON: typed AnyValues and attribute lists -> Python values, strictly.

`raw.spans` keeps attributes as one JSON object (`{"key": value}`, kvlists as objects, arrays as
lists), so every attribute is converted once, in Python, straight from orjson's output; the
common case (a `stringValue`) costs one dict comprehension step. Whatever the OTLP JSON mapping
does not allow raises `WrongValueType` with the offending path, so the span can be quarantined;
the variants writers are known to produce are tolerated (int64s as JSON numbers, doubles as
"NaN"/"Infinity" strings). Arrays and kvlists nest at most MAX_NESTING_DEPTH levels, the limit the
receiver enforces too (`too_deep`), so one value can never exhaust a recursion limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import orjson
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from orchestration.ingest.quarantine import Reason

# How deep AnyValues may nest, counted in AnyValue levels: an attribute's value is level 1, and
# each arrayValue or kvlistValue adds one for its elements. Deeper values are refused by the
# receiver (400) and quarantined at ingestion (`nesting_too_deep`), in either encoding. 32 is far
# beyond any real attribute and far below orjson's limit (255 levels of JSON, 4 per AnyValue level).
MAX_NESTING_DEPTH = 32
_INT64 = re.compile(r"[+-]?[0-9]+")
_INT64_RANGE = range(-(2**63), 2**63)


class WrongValueType(ValueError):
    """A field or value whose JSON type the OTLP JSON mapping does not allow; says where."""

    reason = Reason.WRONG_VALUE_TYPE


class NestingTooDeep(WrongValueType):
    """An AnyValue nested more than MAX_NESTING_DEPTH levels deep."""

    reason = Reason.NESTING_TOO_DEEP


class BadInt(ValueError):
    """An `intValue` that is not a 64-bit integer (a quarantine reason of its own, decided in SQL
    after the other checks, so it is reported as a flag rather than raised to the span)."""


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    """`value` if it is None or of `kind` (bools are not numbers), else WrongValueType."""
    if value is None or (
        isinstance(value, kind) and not (isinstance(value, bool) and bool not in _kinds(kind))
    ):
        return value
    raise WrongValueType(f"{where} must be {_names(kind)}, not {json_type(value)}")


def expect_object(value: Any, where: str) -> dict:
    """`value` if it is an object; an element of a repeated message field cannot be null either."""
    if type(value) is not dict:
        raise WrongValueType(f"{where} must be an object, not {json_type(value)}")
    return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _names(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "an array",
        dict: "an object",
    }
    return " or ".join(dict.fromkeys(names[k] for k in _kinds(kind)))


def _string(value: Any) -> str | None:
    return expect(value, str, "stringValue")


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and _INT64.fullmatch(value):
        try:
            value = int(value)
        except ValueError:  # more digits than Python converts: not a 64-bit integer either
            raise BadInt(value[:40]) from None
    elif isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str):
            raise BadInt(value)
        raise WrongValueType(f"intValue must be a decimal string, not {json_type(value)}")
    if value not in _INT64_RANGE:
        raise BadInt(value)
    return value


def _double(value: Any) -> float | str | None:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise WrongValueType(f"doubleValue {value[:40]!r} is not a number") from None
        # The JSON mapping writes NaN and the infinities as strings; JSON has no other way.
        return number if math.isfinite(number) else value
    return None if value is None else float(expect(value, (int, float), "doubleValue"))


def _bool(value: Any) -> bool | None:
    return expect(value, bool, "boolValue")


def _bytes(value: Any) -> str | None:
    return expect(value, str, "bytesValue")  # base64 text, kept as it is


def _array(value: Any, depth: int) -> list[Any] | None:
    values = _values_of(value, "arrayValue")
    return None if values is None else [any_value(v, depth + 1) for v in values]


def _kvlist(value: Any, depth: int) -> dict[str, Any] | None:
    values = _values_of(value, "kvlistValue")
    if values is None:
        return None
    converted: dict[str, Any] = {}
    for kv in values:
        expect_object(kv, "kvlistValue.values[]")
        if not kv.keys() <= _KEY_VALUE_FIELDS:
            raise WrongValueType(
                f"kvlistValue.values[] has unknown fields {sorted(kv.keys() - _KEY_VALUE_FIELDS)}"
            )
        converted[expect(kv.get("key"), str, "kvlistValue key") or ""] = any_value(kv.get("value"), depth + 1)
    return converted


def _values_of(value: Any, field: str) -> list[Any] | None:
    if value is None:
        return None
    expect(value, dict, field)
    if not value.keys() <= {"values"}:
        raise WrongValueType(f"{field} has unknown fields {sorted(value.keys() - {'values'})}")
    return expect(value.get("values"), list, f"{field}.values") or []


def _strindex(value: Any) -> None:
    expect(value, int, "stringValueStrindex")  # an index into a profiles string table: no value here


# The fields whose elements are AnyValues one level deeper, and the scalar ones.
_NESTED: dict[str, Callable[[Any, int], Any]] = {"arrayValue": _array, "kvlistValue": _kvlist}
_SCALARS: dict[str, Callable[[Any], Any]] = {
    "stringValue": _string,
    "intValue": _int,
    "doubleValue": _double,
    "boolValue": _bool,
    "bytesValue": _bytes,
    "stringValueStrindex": _strindex,
}
# In the order a value with several fields set is read (the protobuf oneof allows one).
_FIELDS = (*_NESTED, *_SCALARS)
_FIELDS_SET = frozenset(_FIELDS)
_KEY_VALUE_FIELDS = frozenset({"key", "value"})


def any_value(value: Any, depth: int = 1) -> Any:
    """An AnyValue at nesting level `depth` as a plain value: kvlists become objects, arrays lists,
    an empty value None. NestingTooDeep beyond MAX_NESTING_DEPTH levels."""
    if value is None:
        return None
    if type(value) is not dict:
        raise WrongValueType(f"an attribute value must be an object, not {json_type(value)}")
    if depth > MAX_NESTING_DEPTH:
        raise NestingTooDeep(f"an AnyValue is nested more than {MAX_NESTING_DEPTH} levels deep")
    if not value.keys() <= _FIELDS_SET:
        unknown = sorted(value.keys() - _FIELDS_SET)
        named = f"field {unknown[0]!r}" if len(value) == 1 else f"fields {unknown}"
        raise WrongValueType(f"unknown AnyValue {named}")
    for field in _FIELDS if len(value) > 1 else value:
        content = value.get(field)
        if content is not None:
            nested = _NESTED.get(field)
            return nested(content, depth) if nested else _SCALARS[field](content)
    return None


def too_deep(value: Any) -> bool:
    """Whether an AnyValue, as decoded JSON of any shape, nests more than MAX_NESTING_DEPTH levels
    (counted as `any_value` counts them). Never raises, and walks without recursion: the receiver
    asks it before anything else looks inside a request's values."""
    pending = [(value, 1)]
    while pending:
        value, depth = pending.pop()
        if type(value) is not dict:
            continue
        if depth > MAX_NESTING_DEPTH:
            return True
        for field in _NESTED.keys() & value.keys():
            container = value[field]
            elements = container.get("values") if type(container) is dict else None
            if type(elements) is not list:
                continue
            for element in elements:
                if field == "kvlistValue":
                    element = element.get("value") if type(element) is dict else None
                pending.append((element, depth + 1))
    return False


def encode_attributes(key_values: Any) -> tuple[dict[str, Any] | None, bytes | None, bool, bool]:
    """An OTLP attribute list as `({key: plain value}, that dict as JSON, empty_or_repeated_key,
    bad_int)`. The two flags are quarantine reasons decided later, with the span's other checks
    and in their order; a value of a wrong type raises WrongValueType."""
    if key_values is None:
        return None, None, False, False
    if key_values.__class__ is not list:
        expect(key_values, list, "attributes")
    try:
        # The hot path: one step per attribute, a string value taken as it is.
        plain = {
            kv["key"]: (
                text
                if len(v := kv["value"]) == 1 and type(text := v.get("stringValue")) is str
                else any_value(v)
            )
            for kv in key_values
        }
        # Every entry exactly `key` and `value` (an unknown field is an error), no key twice or empty.
        if len(plain) == len(key_values) and "" not in plain and sum(map(len, key_values)) == 2 * len(plain):
            return plain, orjson.dumps(plain), False, False
    except (KeyError, TypeError, AttributeError, BadInt, WrongValueType, orjson.JSONEncodeError):
        pass  # the careful path says what is wrong, and where
    plain, repeated, bad_int = _attribute_dict_checked(key_values)
    return plain, orjson.dumps(plain), repeated, bad_int


def _attribute_dict_checked(key_values: Any) -> tuple[dict[str, Any], bool, bool]:
    """The careful path: names the offending attribute and sets the flags instead of raising."""
    expect(key_values, list, "attributes")
    plain: dict[str, Any] = {}
    repeated = bad_int = False
    for i, kv in enumerate(key_values):
        expect_object(kv, f"attributes[{i}]")
        if not kv.keys() <= _KEY_VALUE_FIELDS:
            raise WrongValueType(
                f"attributes[{i}] has unknown fields {sorted(kv.keys() - _KEY_VALUE_FIELDS)}"
            )
        key = expect(kv.get("key"), str, f"attributes[{i}].key")
        try:
            value = any_value(kv.get("value"))
        except BadInt:
            bad_int, value = True, None
        except WrongValueType as exc:
            raise type(exc)(f"attributes[{i}] ({key}): {exc}") from None
        if not key or key in plain:
            repeated = True
            if not key:
                continue
        plain[key] = value
    return plain, repeated, bad_int


def text_of(value: Any) -> str | None:
    """A plain scalar as the text SQL compares (JSON spelling for booleans); None for the rest."""
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


_INT64_TYPES = {
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED64,
    FieldDescriptor.TYPE_SINT64,
}
_UINT32_TYPES = {FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32}
_FLOAT_TYPES = {FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT}


def check_message(
    descriptor: Descriptor, message: Any, where: str, skip: frozenset[str] = frozenset()
) -> None:
    """Check a decoded OTLP message against its protobuf descriptor (the fields of the installed
    OTLP version, by their JSON names): an unknown field or a value of the wrong JSON type raises
    WrongValueType. Fields in `skip` are left to the caller, who reads them."""
    expect_object(message, where)
    fields = descriptor.fields_by_camelcase_name
    for name, value in message.items():
        if name in skip or value is None:
            continue
        fd = fields.get(name)
        if fd is None:
            raise WrongValueType(f"{where} has an unknown field {name!r}")
        if fd.is_repeated:
            for i, element in enumerate(expect(value, list, f"{where}.{name}")):
                _check_field(fd, element, f"{where}.{name}[{i}]")
        else:
            _check_field(fd, value, f"{where}.{name}")


def _check_field(fd: FieldDescriptor, value: Any, where: str) -> None:
    if fd.message_type is None:
        check_scalar(fd, value, where)
    elif fd.message_type.full_name == AnyValue.DESCRIPTOR.full_name:
        any_value(value)
    elif fd.message_type.full_name == KeyValue.DESCRIPTOR.full_name:
        _attribute_dict_checked([value])
    else:
        check_message(fd.message_type, value, where)


def check_scalar(fd: FieldDescriptor, value: Any, where: str) -> Any:
    """A scalar field's value, checked; an enum given by name comes back as its number."""
    if fd.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
        return expect(value, str, where)
    if fd.type in _INT64_TYPES:
        return expect(value, (str, int), where)  # a decimal string, or a JSON number
    if fd.type == FieldDescriptor.TYPE_BOOL:
        return expect(value, bool, where)
    if fd.type in _FLOAT_TYPES:
        return expect(value, (int, float, str), where)  # "NaN" and "Infinity" are strings
    if fd.type == FieldDescriptor.TYPE_ENUM and isinstance(value, str):
        named = fd.enum_type.values_by_name.get(value)
        if named is None:
            raise WrongValueType(f"{where} {value[:40]!r} is not a {fd.enum_type.name}")
        return named.number
    low, high = (0, 2**32) if fd.type in _UINT32_TYPES else (-(2**31), 2**31)
    if value is not None and not low <= expect(value, int, where) < high:
        raise WrongValueType(f"{where} {value} is out of range")  # enums and 32-bit integers
    return value
