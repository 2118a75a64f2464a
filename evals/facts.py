"""Facts a customer gives (emails, phones, ids, dates, times, amounts, counts, names, places,
preferences), the kinds of fact an agent asks for, and when two mentions are the same fact.

A re-ask is "the agent asks for a kind of fact the customer already gave, and the customer
gives the same value again". That needs values compared across paraphrases ("13:30" vs "half
past 1 in the afternoon", "March 5th" vs "the 5th"), so each kind has a normaliser and an
equality rule instead of string comparison.

One combined regex finds candidate spans in a turn (one scan per turn keeps the local engine
fast); the kind's parser then reads the small span.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import NamedTuple

from evals.text import FILLER, UPPER, GatedAlternatives, literal_alternation, lower, tokens_of, words

# How strongly a repeated value of this kind proves the agent lost it. An email or account id
# is unique to the customer, so repeating it is unambiguous; small counts ("2") repeat by
# coincidence, so they count for less. These are priors, not tuned on the calibration set.
SPECIFICITY: dict[str, float] = {
    "email": 1.0,
    "phone": 1.0,
    "id": 1.0,
    "amount": 0.8,
    "name": 0.8,
    "date": 0.75,
    "time": 0.75,
    "place": 0.6,
    "preference": 0.6,
    "count": 0.4,
}

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
}
_ORDINAL_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_NUM_WORD = literal_alternation(_NUMBER_WORDS)
_ORD_WORD = literal_alternation(_ORDINAL_WORDS)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_DAY_NUM = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_HOUR = rf"(?:[01]?\d|2[0-3]|{_NUM_WORD})"
_PERIOD = r"(?:\s*[ap]\.?\s?m\b\.?|\s+in the (?:morning|afternoon|evening)|\s+(?:at|in the) night|\s+tonight)"
_CAP = r"(?-i:[A-Z][\w'&.-]*+)(?!@)"  # possessive, so never the front of an email address
_CAP_PHRASE = rf"{_CAP}(?:\s+(?:of\s+|de\s+|the\s+)?{_CAP}){{0,3}}"
_COUNT_UNIT = (
    r"(?:people|persons?|guests?|adults?|children|kids|tickets?|seats?|rooms?|nights?|days?|"
    r"bags?|passengers?|travell?ers?|items?|units?|bedrooms?|baths?|bathrooms?|licen[cs]es?|"
    r"users?|devices?|lines?|months?|weeks?|years?)"
)
_ID_NOUN = (
    r"(?:order|account|acct|reference|ref|confirmation|booking|ticket|case|member(?:ship)?|policy|invoice"
    r"|tracking|customer|serial|claim)"
)
_CODE = r"(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]"  # a code with a digit; the caller adds its length
# "I'd like ..." is how customers ask for things, so only "I like", "I prefer", "I'd rather" and
# the like state a preference. A taste is also stated as a habit or a wish to consume something
# ("I mostly watch horror", "we usually eat vegetarian", "I want to watch documentaries"): the
# verbs of consuming media and food, in general forms, not any product's words. "I read" and "I
# play" are habits only with a frequency word ("I read the manual" is a past event, "I play the
# video and it freezes" a bug report).
_HABIT = r"(?:mostly|mainly|usually|normally|generally|often|typically|always|tend\s+to)"
_PREFERENCE_LEAD = (
    r"\b(?:i|we)(?:\s+really|\s+usually|\s+always|\s+do|\s+also)*\s+(?:like|love|enjoy)\b|"
    r"\b(?:i|we)(?:'d|\s+would)?(?:\s+really|\s+much)?\s+(?:prefer|rather)\b|"
    r"\bi'?m into\b|\bi am into\b|\bfan of\b|\bmy (?:favou?rite|preference)\b|\bpreferably\b|"
    rf"\b(?:i|we)(?:\s+(?:also|really|just|only))?(?:\s+{_HABIT})?\s+(?:watch|listen\s+to|stream|binge)\b|"
    rf"\b(?:i|we)(?:\s+(?:also|really|just|only))?\s+{_HABIT}\s+(?:read|play|eat|drink|cook|wear)\b|"
    r"\b(?:i|we)(?:\s+(?:really|just|only))?(?:\s+want\s+to|\s+wanna|'d\s+like\s+to|\s+would\s+like\s+to)"
    r"\s+(?:watch|listen\s+to|stream|binge)\b|"
    r"\bin\s+the\s+mood\s+(?:for|to)\b"
)
_PREFERENCE_LEAD_RE = re.compile(_PREFERENCE_LEAD, re.IGNORECASE)


# Redaction replaces personal values with typed placeholders ("[EMAIL]", "[PHONE]", "[CARD]",
# "[IBAN]", "[ADDRESS]"). A placeholder is still a value of its kind that the customer gave, so
# an agent asking for it again is still a re-ask; two placeholders of one type count as the same
# value (the redacted values cannot be compared, and a re-ask is the agent asking at all).
PLACEHOLDER_KINDS = {"EMAIL": "email", "PHONE": "phone", "CARD": "id", "IBAN": "id", "ADDRESS": "place"}
_PLACEHOLDER = re.compile(r"\[(" + "|".join(PLACEHOLDER_KINDS) + r")\]")


def _placeholder(kind: str) -> str:
    return r"\[(?:" + "|".join(p for p, k in PLACEHOLDER_KINDS.items() if k == kind) + r")\]"


# Order matters: at one position the first alternative wins, so the more specific kinds
# (email, phone, clock times) come before the looser ones (ids, counts).
_CANDIDATE_KINDS = {
    "email": [r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", _placeholder("email")],
    "phone": [
        _placeholder("phone"),
        r"\b(?:\d{1,3}[\s.-]?)?\d{3}[\s.-]?\d{3}[\s.-]?\d{4}\b",
        r"\(\d{3}\)\s?\d{3}[\s.-]?\d{4}\b",
    ],
    "amount": [
        r"[$€£]\s?\d[\d,]*(?:\.\d+)?",
        r"\b\d[\d,]*(?:\.\d+)?\s?(?:dollars|bucks|usd|euros?|eur|pounds|gbp)\b",
    ],
    "time": [
        rf"\b(?:[01]?\d|2[0-3]):[0-5]\d(?:{_PERIOD})?",
        rf"\b(?:half|quarter|\d{{1,2}}|{_NUM_WORD})(?:\s+minutes)?\s+(?:past|to|after)\s+{_HOUR}\b(?:{_PERIOD})?",
        rf"\b{_HOUR}\s*o['\"]?\s?clock(?:{_PERIOD})?",
        rf"\b{_HOUR}(?:\s+(?:thirty|fifteen|forty[- ]five|o\s?five))?{_PERIOD}",
        r"\b(?:noon|midday|midnight)\b",
    ],
    "date": [
        r"\b\d{4}-\d{2}-\d{2}\b",
        r"\b[01]?\d/[0-3]?\d(?:/\d{2,4})?\b",
        rf"\b{_MONTH}\.?\s+{_DAY_NUM}\b",
        rf"\b(?:the\s+)?{_DAY_NUM}\s+(?:of\s+)?{_MONTH}\b",
        rf"\bthe\s+{_DAY_NUM}\b",
        rf"\b(?:on|for|by|until|till|from)\s+the\s+(?:{_ORD_WORD})\b",
        rf"\bthe\s+(?:{_ORD_WORD})\s+of\b",
        r"\b(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)\b",
        r"\b(?:day after tomorrow|today|tonight|tomorrow|this weekend|next weekend)\b",
        rf"\b(?:(?:next|this|coming)\s+)?{_WEEKDAY}\b",
    ],
    "id": [
        # "order number 123", "account # 4471", "zip code 02139": named as an id, any length from
        # 3 characters; "my order 1234" without "number" from 4 characters, and not a quantity
        # ("order 100 units"). One alternative, so the noun is tried once at a position.
        (
            rf"\b(?:{_ID_NOUN}(?:\s*(?:(?:(?:number|num|id|code|ref(?:erence)?)\b|no\b\.?)\s*(?:is\s+)?[:\#]?|\#)"
            rf"\s*{_CODE}{{2,}}\b|\s*(?:is\s+)?:?\s*{_CODE}{{3,}}\b(?!\s+(?:more\s+|extra\s+)?{_COUNT_UNIT}))"
            rf"|(?:zip|postal|post)\s*code\s*(?:is\s+)?:?\s*{_CODE}{{2,}}\b)"
        ),
        r"\b(?-i:(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{4,})\b",
        r"\b\d{6,}\b",
        _placeholder("id"),
    ],
    "count": [
        rf"\b(?:\d{{1,3}}|{_NUM_WORD}|a\s+couple\s+of)\s+(?:more\s+|adult\s+|extra\s+)?{_COUNT_UNIT}\b",
        # not "a table for 12:45 pm", a time
        rf"\b(?:party|table|group|reservation|booking)\s+(?:of|for)\s+(?:\d{{1,2}}(?![:.]\d)|{_NUM_WORD})\b",
        rf"\bfor\s+(?:\d{{1,2}}|{_NUM_WORD})(?=\s*(?:[.,!?;]|$|at\b|on\b|in\b|please\b))",
        r"\b(?:just\s+)?(?:me|myself)\s+and\s+(?:my\s+)?(?:wife|husband|partner|friend|son|daughter)\b",
    ],
    "name": [
        (
            r"\b(?:my\s+name\s+is|name\s+is|this\s+is|call\s+me|under\s+(?:the\s+name\s+(?:of\s+)?)?)\s*"
            r"(?-i:[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){0,2})"
        ),
    ],
    "place": [
        (
            r"\b\d+\s+(?:(?-i:[A-Z])[\w.]*\s+){1,4}(?:street|st|avenue|ave|road|rd|drive|dr|boulevard|blvd|lane|ln|way"
            r"|court|ct|place|pl)\b"
        ),
        rf"\b(?:in|to|from|near|around|at)\s+(?:the\s+)?{_CAP_PHRASE}",
        _placeholder("place"),
    ],
}
_DIGITS = frozenset("0123456789")
_NUMBER_TOKENS = _DIGITS | frozenset(_NUMBER_WORDS)
_MONTH_TOKENS = words(
    "jan january feb february mar march apr april may jun june jul july aug august sep sept september "
    "oct october nov november dec december"
)
_CURRENCY_TOKENS = frozenset(
    ["$", "€", "£", "dollars", "bucks", "usd", "euro", "euros", "eur", "pounds", "gbp"]
)
# Every time has an hour (a digit or a number word) and a marker: a colon, am/pm, a part of the
# day, o'clock, or past/to/after; or it is noon, midday or midnight.
_TIME_MARKERS = words(
    ": am pm a p m morning afternoon evening night tonight clock oclock past to after noon midday midnight"
)
_CANDIDATES = GatedAlternatives(
    _CANDIDATE_KINDS,
    {
        "email": frozenset({"@", "email"}),
        "phone": _DIGITS | {"phone"},
        "amount": (_DIGITS, _CURRENCY_TOKENS),
        "time": (_NUMBER_TOKENS | {"noon", "midday", "midnight"}, _TIME_MARKERS),
        "date": _DIGITS
        | _MONTH_TOKENS
        | frozenset(_ORDINAL_WORDS)
        | frozenset(_WEEKDAYS)
        | {"today", "tonight", "tomorrow", "weekend"},
        "id": _DIGITS | {"card", "iban"},
        "count": _NUMBER_TOKENS | {"couple", "wife", "husband", "partner", "friend", "son", "daughter"},
        "name": (frozenset({"name", "this", "call", "under"}), frozenset({UPPER})),
        "place": frozenset({UPPER, "address"}),
    },
    ignore_case=True,
)
_PREFERENCE_GATE = words(
    "prefer rather like love enjoy into fan favorite favourite preference preferably "
    "watch listen stream binge read play eat drink cook wear mood"
)

# Preferences are scanned separately: their free text would otherwise swallow the times, dates
# and places inside them ("I'd prefer 12:30 pm").
_PREFERENCES = re.compile(rf"(?:{_PREFERENCE_LEAD})\s*(?:to\s+)?[^.,!?;]{{2,48}}", re.IGNORECASE)

_PLACE_LEAD = re.compile(r"^(?:in|to|from|near|around|at)\s+(?:the\s+)?", re.IGNORECASE)
_NAME_LEAD = re.compile(
    r"^(?:my\s+name\s+is|name\s+is|this\s+is|call\s+me|under\s+(?:the\s+name\s+(?:of\s+)?)?)\s*",
    re.IGNORECASE,
)
_NOT_PLACES = frozenset(
    {"i", "me", "my", "the", "a", "an", "it", "that", "this", "yes", "no", "ok", "okay", "please", "thanks"}
    | {w.capitalize() for w in _WEEKDAYS}
    | {w.lower() for w in _WEEKDAYS}
)
_MONTH_WORD = re.compile(rf"^{_MONTH}\b", re.IGNORECASE)
_STOPWORDS = (
    _PREFERENCE_GATE
    | FILLER
    | words(
        "a an the to of in on at for and or but with some any my your our me i we you it is are be was "
        "that this there here something kind type sort very really just more much please would do also "
        "usually always have has had can could should will get go going want one ones thing things"
    )
)
_WORD = re.compile(r"[a-z][a-z'-]+")


class Fact(NamedTuple):
    """One value a speaker stated. `key` is the normalised value (see `same_fact`)."""

    kind: str
    key: Hashable
    text: str


def _number(token: str) -> int | None:
    token = token.lower().strip()
    if token.isdigit():
        return int(token)
    return _NUMBER_WORDS.get(token)


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_NOON = re.compile(r"\b(?:noon|midday)\b")
_REL_TIME = re.compile(
    rf"(half|quarter|\d{{1,2}}|{_NUM_WORD})(?:\s+minutes)?\s+(past|to|after)\s+(\w+)", re.IGNORECASE
)
_HOUR_ONLY = re.compile(
    rf"(?<!\d)(\d{{1,2}}|\b(?:{_NUM_WORD})\b)(?!\d)(?:\s+(thirty|fifteen|forty[- ]five|o\s?five))?",
    re.IGNORECASE,
)
_PM = re.compile(r"p\.?\s?m\b|afternoon|evening|night")
_AM = re.compile(r"a\.?\s?m\b|morning")
_MINUTE_WORDS = {"thirty": 30, "fifteen": 15, "forty-five": 45, "forty five": 45, "o five": 5, "ofive": 5}


def _time_key(span: str) -> frozenset[int] | None:
    """Minutes after midnight; a time without am/pm keeps both readings so "1:30" can match
    "13:30"."""
    low = span.lower()
    if _NOON.search(low):
        return frozenset({720})
    if "midnight" in low:
        return frozenset({0})
    hour: int | None
    minute = 0
    clock = _CLOCK.search(low)
    rel = None if clock else _REL_TIME.search(low)
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
    elif rel:
        hour = _number(rel.group(3))
        amount = {"half": 30, "quarter": 15}.get(rel.group(1).lower()) or _number(rel.group(1)) or 0
        if hour is None:
            return None
        if rel.group(2).lower() == "to":
            hour, minute = hour - 1, 60 - amount
        else:
            minute = amount
    else:
        plain = _HOUR_ONLY.search(low)
        if not plain:
            return None
        hour = _number(plain.group(1))
        minute = _MINUTE_WORDS.get((plain.group(2) or "").lower().replace("  ", " "), 0)
    if hour is None or hour > 23 or minute >= 60:
        return None
    pm = bool(_PM.search(low))
    am = bool(_AM.search(low))
    if hour >= 13 or hour == 0:
        return frozenset({hour * 60 + minute})
    if pm:
        return frozenset({(hour % 12 + 12) * 60 + minute})
    if am:
        return frozenset({(hour % 12) * 60 + minute})
    return frozenset({(hour % 12) * 60 + minute, (hour % 12 + 12) * 60 + minute})


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})")
_DAY_IN_DATE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\b|\b({_ORD_WORD})\b", re.IGNORECASE)
_MONTH_IN_DATE = re.compile(rf"\b({_MONTH})\b", re.IGNORECASE)
_RELATIVE_DATE = re.compile(rf"day after tomorrow|today|tonight|tomorrow|weekend|{_WEEKDAY}", re.IGNORECASE)


def _date_key(span: str) -> tuple[str, int | str, int] | None:
    """("md", month, day), ("d", 0, day) when the month is implicit, or ("rel", word, 0)."""
    low = span.lower()
    if iso := _ISO_DATE.search(low):
        return ("md", int(iso.group(2)), int(iso.group(3)))
    if slash := _SLASH_DATE.search(low):
        month, day = int(slash.group(1)), int(slash.group(2))
        return ("md", month, day) if 1 <= month <= 12 and 1 <= day <= 31 else None
    if rel := _RELATIVE_DATE.search(low):
        word = rel.group(0).lower()
        return ("rel", "today" if word == "tonight" else word, 0)
    day_match = _DAY_IN_DATE.search(low)
    if not day_match:
        return None
    day = int(day_match.group(1)) if day_match.group(1) else _ORDINAL_WORDS[day_match.group(2).lower()]
    if not 1 <= day <= 31:
        return None
    month_match = _MONTH_IN_DATE.search(low)
    if month_match:
        return ("md", _MONTHS[month_match.group(1)[:3].lower()], day)
    return ("d", 0, day)


_ME_AND = re.compile(r"\b(?:me|myself)\s+and\b")
_LEADING_NUMBER = re.compile(rf"\b(\d{{1,3}}|{_NUM_WORD}|couple)\b", re.IGNORECASE)


def _count_key(span: str) -> int | None:
    low = span.lower()
    if _ME_AND.search(low):
        return 2
    match = _LEADING_NUMBER.search(low)
    if not match:
        return None
    return 2 if match.group(1).lower() == "couple" else _number(match.group(1))


_DECIMAL = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _amount_key(span: str) -> float | None:
    digits = _DECIMAL.search(span)
    return round(float(digits.group(0).replace(",", "")), 2) if digits else None


def content_words(text: str, exclude: frozenset[str] = frozenset()) -> frozenset[str]:
    """Lower-cased words that carry meaning (no stopwords), for preference overlap."""
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and w not in exclude)


_NON_DIGIT = re.compile(r"\D")
_ID_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9-]{2,}$", re.IGNORECASE)
_HAS_DIGIT = re.compile(r"\d")


def _make_fact(kind: str, span: str) -> Fact | None:
    key: Hashable | None
    if placeholder := _PLACEHOLDER.fullmatch(span.strip()):
        return Fact(kind, ("redacted", placeholder.group(1).upper()), span.strip())
    if kind == "email":
        key = span.lower()
    elif kind == "phone":
        digits = _NON_DIGIT.sub("", span)
        key = digits[-10:] if len(digits) >= 10 else None
    elif kind == "id":
        token = _ID_TOKEN.search(span)
        key = token.group(0).upper().replace("-", "") if token and _HAS_DIGIT.search(token.group(0)) else None
    elif kind == "amount":
        key = _amount_key(span)
    elif kind == "time":
        key = _time_key(span)
    elif kind == "date":
        key = _date_key(span)
    elif kind == "count":
        key = _count_key(span)
    elif kind == "name":
        key = content_words(_NAME_LEAD.sub("", span)) or None
    elif kind == "place":
        value = _PLACE_LEAD.sub("", span)
        if value.split()[0] in _NOT_PLACES or _MONTH_WORD.match(value):
            return None
        key = content_words(value) or None
    else:
        key = content_words(_PREFERENCE_LEAD_RE.sub(" ", span)) or None
    return None if key is None else Fact(kind, key, span.strip())


def extract_facts(
    text: str, tokens: frozenset[str] | None = None, only: frozenset[str] | None = None
) -> list[Fact]:
    """Every fact stated in a text, in order of appearance (only of the kinds in `only`, when
    given). `tokens` (of the text, or of the turn it is part of) saves recomputing them."""
    facts = []
    tokens = tokens_of(lower(text), text) if tokens is None else tokens
    for kind, match in _CANDIDATES.finditer(text, tokens, only):
        fact = _make_fact(kind, match.group(0))
        if fact is not None:
            facts.append(fact)
    if (only is None or "preference" in only) and not _PREFERENCE_GATE.isdisjoint(tokens):
        for match in _PREFERENCES.finditer(text):
            fact = _make_fact("preference", match.group(0))
            if fact is not None:
                facts.append(fact)
    return facts


def same_fact(a: Fact, b: Fact) -> bool:
    """Whether two mentions state the same value of the same kind."""
    if a.kind != b.kind:
        return False
    if (
        isinstance(a.key, tuple)
        and a.key[0] == "redacted"
        or isinstance(b.key, tuple)
        and b.key[0] == "redacted"
    ):
        return a.key == b.key
    if a.kind == "time":
        return bool(a.key & b.key)  # type: ignore[operator]
    if a.kind == "date":
        ka, kb = a.key, b.key
        if ka[0] == "rel" or kb[0] == "rel":  # type: ignore[index]
            return ka == kb
        return ka[2] == kb[2] and (ka[0] == "d" or kb[0] == "d" or ka[1] == kb[1])  # type: ignore[index]
    if a.kind == "preference":
        return bool(a.key & b.key)  # type: ignore[operator]
    if a.kind in ("name", "place"):
        # "Francisco" is "San Francisco", but "San Jose" is not.
        return a.key <= b.key or b.key <= a.key  # type: ignore[operator]
    return a.key == b.key


# --- what an agent asks for -----------------------------------------------------------------

_REQUESTED_KINDS = {
    "time": [
        r"\b(?:what|which|at\s+what)\s+time\b",
        r"\btime\s+(?:would|do|should|did|will|is|are)\b",
        r"\bwhat\s+hour\b",
        r"\bhow\s+(?:early|late)\b",
        r"\b(?:preferred|start|pick-?up)\s+time\b",
        r"\btime\s+slot\b",
        r"\b(?:the|a)\s+(?:\w+\s+)?time\b",
        r"\btime\s+(?:of|for)\b",
    ],
    "when": [r"\bwhen\b"],
    "date": [
        r"\b(?:what|which)\s+(?:date|day)s?\b",
        r"\bdates?\s+(?:would|do|should|will|is|are)\b",
        r"\b(?:check[- ]?in|check[- ]?out|departure|return|travel|arrival|start|end|due|birth|pick-?up)\s+date\b",
        r"\bdate\s+of\b",
        r"\b(?:the|a)\s+(?:\w+\s+)?date\b",
    ],
    "email": [r"\be-?mail(?:\s+address)?\b"],
    "phone": [
        r"\b(?:phone|mobile|cell(?:phone)?|telephone)\b",
        r"\b(?:contact|call\s*back)\s+number\b",
        r"\bnumber\s+(?:to|where|we\s+can)\s+(?:reach|call)\b",
    ],
    "id": [
        (
            r"\b(?:account|acct|order|reference|confirmation|booking|ticket|case|member(?:ship)?|policy|invoice"
            r"|tracking|customer|serial|claim)(?:\s+(?:number|no\b|id|code|reference)|\s*\#)"
        ),
        r"\b(?:zip|postal|post)\s*code\b",
        r"\b(?:card|iban)(?:\s+(?:number|no\b|details))?\b",
    ],
    "amount": [
        r"\bhow\s+much\b",
        r"\bwhat\s+amount\b",
        r"\bbudget\b",
        r"\bprice\s+range\b",
        r"\bwhat\s+price\b",
    ],
    "count": [
        r"\bhow\s+many\b",
        r"\bparty\s+size\b",
        r"\bnumber\s+of\s+(?:people|guests|tickets|seats|rooms|nights|passengers|adults|travell?ers|bags|days)\b",
    ],
    "name": [
        r"\b(?:your|the)\s+(?:full\s+|first\s+|last\s+)?name\b",
        r"\b(?:what|which|whose)\s+name\b",
        r"\bname\s+(?:on|for|under)\b",
        r"\bwhat\s+(?:would\s+you\s+like\s+to|should\s+i|do\s+you\s+want\s+to|shall\s+i)\s+(?:call|name|title)\b",
    ],
    "place": [
        r"\bwhere\b",
        r"\baddress\b",
        r"\bdestination\b",
        r"\blocation\b",
        r"\b(?:which|what)\s+(?:city|town|area|place|country|state|airport|station)\b",
    ],
    "preference": [
        r"\b(?:what|which)\s+(?:\w+\s+)?(?:kind|type|sort|genre|style|categor(?:y|ie)|cuisine)s?\b",
        r"\bpreferences?\b",
        r"\bprefer\b",
        r"\bfavou?rites?\b",
    ],
    # "What do you like to watch?"; not "What would you like to do?", which asks for a request.
    "taste": [
        r"\b(?:what|which)\b(?:\s+\w+){0,3}?\s+do\s+you\s+(?:usually\s+|normally\s+|most\s+)?(?:like|love|enjoy|fancy)\b"
    ],
}

_REQUESTED = GatedAlternatives(
    _REQUESTED_KINDS,
    {
        "time": frozenset({"time", "hour", "early", "late"}),
        "when": frozenset({"when"}),
        "date": frozenset({"date", "dates", "day", "days"}),
        "email": frozenset({"mail", "email"}),
        "phone": frozenset(
            {"phone", "mobile", "cell", "cellphone", "telephone", "contact", "call", "callback", "number"}
        ),
        "id": frozenset(
            {
                "number",
                "no",
                "id",
                "code",
                "reference",
                "zipcode",
                "postcode",
                "postalcode",
                "#",
                "card",
                "iban",
            }
        ),
        "amount": frozenset({"much", "amount", "budget", "price"}),
        "count": frozenset({"many", "party", "number"}),
        "name": frozenset({"name", "call", "title"}),
        "place": words(
            "where address destination location city town area place country state airport station"
        ),
        "preference": words(
            """kind kinds type types sort sorts genre genres style styles category categories cuisine cuisines
            preference preferences prefer favorite favourite favorites favourites"""
        ),
        "taste": (frozenset({"do"}), frozenset({"what", "which"}), words("like love enjoy fancy")),
    },
    ignore_case=False,
)

# Phrasings that make a statement a request even without a question mark.
_REQUEST_LEAD = re.compile(
    r"\b(?:please\s+(?:tell|provide|give|share|enter|send|state|confirm\s+your|let\s+me\s+know|type)|"
    r"(?:can|could|would|may)\s+(?:you|i)\s+(?:please\s+)?(?:tell|provide|give|share|have|get|send)|"
    r"i(?:'ll| will| would)?\s+(?:need|require)\s+(?:your|the)|let\s+me\s+know\s+(?:your|the|what|which|when|where|how))",
    re.IGNORECASE,
)


_WH_QUESTION = re.compile(r"\b(?:what|which|when|where|whose|who|how)\b", re.IGNORECASE)


def is_open_question(sentence: str) -> bool:
    """A wh-question asks for a value even when it also mentions one ("from where, and are you
    returning on March 2nd?"); a yes/no question with a value only proposes it."""
    return bool(_WH_QUESTION.search(sentence))


def may_request(text: str) -> bool:
    """Whether a text asks for anything at all: a question mark or a request phrasing."""
    return "?" in text or bool(_REQUEST_LEAD.search(text))


def requested_kinds(sentence: str, tokens: frozenset[str] | None = None) -> frozenset[str]:
    """The kinds of fact an agent sentence asks for; empty when it asks for none. `tokens` (of
    the sentence or of its turn) saves recomputing them."""
    if not may_request(sentence):
        return frozenset()
    kinds: set[str] = set()
    lowered = lower(sentence)
    for kind, _ in _REQUESTED.finditer(lowered, tokens_of(lowered) if tokens is None else tokens):
        if kind == "when":
            kinds.update(("date", "time"))
        elif kind == "taste":
            kinds.add("preference")
        else:
            kinds.add(kind)
    return frozenset(kinds)


_BARE_COUNT = re.compile(rf"\W*(?:just|only|about|maybe|um|uh|\s)*(\d{{1,3}}|{_NUM_WORD})\b.{{0,20}}", re.IGNORECASE)


def bare_count(text: str) -> Fact | None:
    """A reply like "4" or "just two" to a "how many" question, which carries no unit."""
    match = _BARE_COUNT.fullmatch(text.strip())
    if not match:
        return None
    value = _number(match.group(1))
    return None if value is None else Fact("count", value, match.group(1))


# A code in a reply: at least 3 characters with a digit, not part of an amount, a decimal, a
# time, a date or an address ("$45", "4.50", "10:30", "3/4", "ann@x.com"), nor an ordinal ("5th").
_BARE_ID = re.compile(
    r"(?<![\w$€£.,:/@-])#?\s?((?=[A-Z0-9-]*\d)(?!\d+(?:st|nd|rd|th)\b)[A-Z0-9][A-Z0-9-]{2,})(?![\w@-]|[.,:/]\d)",
    re.IGNORECASE,
)


def bare_id(text: str, found: list[Fact]) -> Fact | None:
    """The code in a reply like "12345" or "it's 4471" to a question for an order, account or
    booking number: read as that id whatever its length, unless another fact of the reply (a
    phone number, a time, a date) already holds it."""
    if not _HAS_DIGIT.search(text):
        return None
    for match in _BARE_ID.finditer(text):
        value = match.group(1)
        if not any(value in fact.text for fact in found):
            return Fact("id", value.upper().replace("-", ""), value)
    return None
