"""Who the customers are and the facts of their journeys: the slot values the dialogue speaks.

Personal data comes from Faker, seeded per customer, so a customer is the same person in every
conversation of every journey, and the same seed gives the same people.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from functools import cache
from itertools import accumulate

from faker import Faker

from orchestration.simulate.phrasebook import phrasebook, render

EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "proton.me", "aol.com")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: what real activation codes avoid


@cache
def _faker() -> Faker:
    return Faker("en_US")


@cache
def _weighted_names(kind: str) -> tuple[tuple[str, ...], list[float]]:
    """Faker's `first_names` or `last_names` with their cumulative weights, added up once: Faker's
    own `first_name()` adds up about a thousand weights on every call (15% of a simulation's
    time went to customer profiles)."""
    names = getattr(next(p for p in _faker().providers if hasattr(p, kind)), kind)
    return tuple(names), list(accumulate(names.values()))


def _name(fake: Faker, kind: str) -> str:
    """What `fake.first_name()`/`fake.last_name()` return (the same `choices` draw from Faker's
    seeded RNG, given the cumulative weights instead of the weights)."""
    names, cumulative = _weighted_names(kind)
    return fake.random.choices(names, cum_weights=cumulative)[0]


def _code(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(length))


def _digits(rng: random.Random, length: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(length))


def _list_phrase(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _email(rng: random.Random, first: str, last: str) -> str:
    first, last = (re.sub(r"[^a-z]", "", s.lower()) for s in (first, last))
    local = rng.choice(
        [f"{first}.{last}", f"{first}{last}{rng.randint(1, 99)}", f"{first[0]}{last}", f"{first}_{last}",
         f"{last}.{first}{rng.randint(70, 99)}", f"{first}{rng.randint(100, 999)}"]
    )
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def _title(rng: random.Random) -> str:
    vocab = phrasebook()["vocab"]
    return f"{rng.choice(vocab['title_first'])} {rng.choice(vocab['title_second'])}"


def _month_day(day: date) -> str:
    return f"{day:%B} {day.day}"


def customer_slots(customer_key: str, rng: random.Random) -> dict[str, str]:
    """A customer's stable facts. `customer_key` seeds Faker so the person is reproducible."""
    fake = _faker()
    fake.seed_instance(customer_key)
    vocab = phrasebook()["vocab"]
    first, last = _name(fake, "first_names"), _name(fake, "last_names")
    phone = f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{_digits(rng, 4)}"
    plan = rng.choice(vocab["plans"])
    born = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
    return {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}",
        "email": _email(rng, first, last),
        "phone": phone,
        "phone_last4": phone[-4:],
        "postcode": fake.postcode(),
        "birth_date": f"{born:%B} {born.day}, {born.year}",
        "account_id": f"ACC-{_digits(rng, 4)}-{_digits(rng, 4)}",
        "card_brand": rng.choice(vocab["card_brands"]),
        "card_last4": _digits(rng, 4),
        "device": rng.choice(vocab["devices"]),
        "os_version": f"{rng.randint(4, 17)}.{rng.randint(0, 9)}",
        "plan": plan["plan"],
        "price": plan["price"],
        "screens": plan["screens"],
        "genres": _list_phrase(rng.sample(vocab["genres"], rng.choice((1, 2, 2, 3)))),
        "profile_name": _name(fake, "first_names"),
        "favorite_title": _title(rng),
    }


def journey_slots(customer: dict[str, str], journey_start: date, rng: random.Random) -> dict[str, str]:
    """Facts of one journey (codes, invoices, amounts), on top of the customer's."""
    vocab = phrasebook()["vocab"]
    price = float(customer["price"].lstrip("$"))
    amount = rng.choice([price, price * 2, price + rng.choice((3.5, 7.5)), round(rng.uniform(9, 60), 2)])
    charged = journey_start - timedelta(days=rng.randint(2, 40))
    slots = {
        **customer,
        "trial_end": _month_day(journey_start + timedelta(days=7)),
        "verification_code": _digits(rng, 6),
        "activation_code": f"{_code(rng, 3)}-{_code(rng, 3)}",
        "error_code": rng.choice(["E-", "NW-", "UI-"]) + _digits(rng, rng.choice((3, 4))),
        "payment_link": f"https://pay.marquee.tv/l/{_code(rng, 8).lower()}",
        "promo_code": rng.choice(["WELCOME", "FRIEND", "FALL", "STREAM"]) + _digits(rng, 2),
        "title": _title(rng),
        "invoice_id": f"INV-{charged.year}-{_digits(rng, 6)}",
        "amount": f"${amount:.2f}",
        "refund_amount": f"${(amount if rng.random() < 0.75 else amount / 2):.2f}",
        "charge_date": _month_day(charged),
        "case_id": f"CASE-{_digits(rng, 7)}",
    }
    slots["dispute_problem"] = render(rng.choice(vocab["dispute_problems"]), slots, rng)
    return slots
