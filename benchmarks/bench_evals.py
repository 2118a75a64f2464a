"""Throughput of the `local` evaluator engine on one core.

    .venv/bin/python benchmarks/bench_evals.py [--conversations 4000] [--repeat 3] [--sgd PATH] [--quick] [--json PATH]

Generates representative contact-centre journeys of 1-4 stages (conversations of 6-20 turns, a
mix of resolved, failed, escalated and abandoned requests, customer details such as emails,
phone numbers, order ids, dates, times, amounts and product names, some re-asks of typed and of
untyped details; every later stage gets the journey's earlier stages as context), pins the
process to one CPU, and scores every conversation with all three evaluators through
`evals.evaluate_batch`, the path `orchestration.scoring` uses. Prints conversations per
second of CPU time (the target: >= 2,000, on both) and of wall time, with the command and the
machine. With `--sgd`, also times the annotated SGD dialogues (real crowd-written text, 20 turns
on average). Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals import BatchItem, evaluate_batch
from evals.analysis import TRANSCRIPT_CACHE, TURN_CACHE
from evals.sentiment import compound

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import Figure, load_average, machine, write_figures

TARGET = 2000

FIRST_NAMES = ["Maria", "James", "Aiko", "Omar", "Lena", "Tom", "Priya", "Diego", "Chloe", "Sam"]
CITIES = ["Boston", "Denver", "Austin", "Seattle", "Chicago", "Miami", "Portland", "Phoenix"]
PRODUCTS = ["router", "phone", "laptop", "subscription", "smart TV", "headset", "tablet"]
DATES = ["March 3rd", "the 14th", "next Monday", "tomorrow", "June 21", "the 2nd of May"]
TIMES = ["9:30 am", "2 pm", "half past 4", "11:15", "6:45 pm", "noon"]


def _customer_details(rng: random.Random) -> dict[str, str]:
    name = rng.choice(FIRST_NAMES)
    return {
        "name": name,
        "email": f"{name.lower()}.{rng.randint(10, 99)}@example.com",
        "phone": f"{rng.randint(200, 989)}-{rng.randint(200, 989)}-{rng.randint(1000, 9999)}",
        "order": f"ORD-{rng.randint(100000, 999999)}",
        "date": rng.choice(DATES),
        "time": rng.choice(TIMES),
        "amount": f"${rng.randint(10, 400)}.{rng.randint(0, 99):02d}",
        "city": rng.choice(CITIES),
        "product": rng.choice(PRODUCTS),
    }


def _opening(rng: random.Random, d: dict[str, str]) -> list[tuple[str, str]]:
    return rng.choice(
        [
            [
                ("customer", f"Hi, my {d['product']} order {d['order']} hasn't arrived yet."),
                ("agent", "I'm sorry to hear that. Let me look into it for you."),
            ],
            [
                (
                    "customer",
                    f"Hello, I was charged {d['amount']} twice this month. My email is {d['email']}.",
                ),
                ("agent", "Thanks for reaching out. I can help with the billing issue."),
            ],
            [
                (
                    "customer",
                    f"I need to book an installation for {d['date']} at {d['time']} in {d['city']}.",
                ),
                ("agent", "Happy to help with the installation appointment."),
            ],
            [
                (
                    "customer",
                    f"Hi, this is {d['name']}. I can't log in to my account, my phone is {d['phone']}.",
                ),
                ("agent", "Sorry about that, let's get you back in."),
            ],
        ]
    )


def _middle(rng: random.Random, d: dict[str, str], reask: bool) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for _ in range(rng.randint(1, 6)):
        turns += rng.choice(
            [
                [
                    ("agent", "Could you confirm the delivery address on the account?"),
                    ("customer", f"It's 42 Main Street, {d['city']}."),
                ],
                [
                    ("agent", "Which day works best for you?"),
                    ("customer", f"{d['date']}, ideally around {d['time']}."),
                ],
                [
                    ("agent", "Have you tried restarting the device?"),
                    ("customer", "Yes, twice, it did not help."),
                ],
                [
                    ("agent", "Thanks. I'm checking the account now, one moment please."),
                    ("customer", "Sure."),
                ],
                [
                    ("agent", f"Is {d['email']} still the best email for updates?"),
                    ("customer", "Yes, that's right."),
                ],
                [("agent", "How many devices are affected?"), ("customer", "Just the one.")],
            ]
        )
    if reask:
        turns += rng.choice(
            [
                [("agent", "What is your order number?"), ("customer", f"I already gave it: {d['order']}.")],
                [("agent", "Can I have your email address?"), ("customer", d["email"])],
                [("agent", "What time would you like?"), ("customer", f"{d['time']}, as I said.")],
                # An untyped detail (the product) asked for again: the restated-span path.
                [("agent", "Which device is this about?"), ("customer", f"The {d['product']}.")],
            ]
        )
    return turns


def _ending(rng: random.Random, d: dict[str, str]) -> list[tuple[str, str]]:
    return rng.choice(
        [
            [
                (
                    "agent",
                    f"Done: a refund of {d['amount']} has been issued; you'll receive a confirmation email.",
                ),
                ("customer", "Great, thank you!"),
                ("agent", "You're welcome, have a nice day."),
            ],
            [
                ("agent", f"Your appointment on {d['date']} at {d['time']} is confirmed."),
                ("customer", "Perfect, thanks."),
            ],
            [
                (
                    "agent",
                    "Unfortunately I couldn't process that request today. Would you like to try another date?",
                ),
                ("customer", "No, that's all."),
                ("agent", "Sorry about that. Goodbye."),
            ],
            [
                (
                    "agent",
                    "I'm going to escalate this to our technical team; a specialist will contact you within 24 hours.",
                ),
                ("customer", "Okay."),
            ],
            [
                ("agent", "Please restart the router and wait ten minutes."),
                ("customer", "It still doesn't work. Forget it, I'll call back later."),
            ],
            [
                ("agent", "Is there anything else I can help you with?"),
                ("customer", "What about my other order?"),
            ],
        ]
    )


def _conversation(rng: random.Random, d: dict[str, str]) -> list[dict[str, Any]]:
    turns = _opening(rng, d) + _middle(rng, d, reask=rng.random() < 0.2) + _ending(rng, d)
    return [{"role": role, "content": text} for role, text in turns]


def generate(n: int, seed: int = 7) -> list[BatchItem]:
    """`n` conversations from journeys of 1-4 stages; each stage's `input` is the journey's
    earlier stages, as `orchestration.scoring` passes them."""
    rng = random.Random(seed)
    items: list[BatchItem] = []
    while len(items) < n:
        details = _customer_details(rng)
        stages: list[list[dict[str, Any]]] = []
        for _ in range(rng.randint(1, 4)):
            conversation = _conversation(rng, details)
            items.append(BatchItem(conversation, list(stages) or None, f"bench-{len(items)}"))
            stages.append(conversation)
    return items[:n]


def sgd_items(path: Path) -> list[BatchItem]:
    import json

    with path.open(encoding="utf-8") as handle:
        return [BatchItem(json.loads(line)["turns"]) for line in handle if line.strip()]


def measure(items: list[BatchItem], repeat: int) -> tuple[list[float], list[float]]:
    """Conversations per second of CPU time and of wall time, run by run."""
    evaluate_batch(items[: min(200, len(items))])  # warm the compiled-pattern caches
    cpu_rates, wall_rates = [], []
    for _ in range(repeat):
        # Each run starts cold: a transcript, or a turn's text, is known only once this run has
        # read it.
        TRANSCRIPT_CACHE.clear()
        TURN_CACHE.clear()
        compound.cache_clear()
        cpu, wall = time.process_time(), time.perf_counter()
        evaluate_batch(items)
        cpu_rates.append(len(items) / (time.process_time() - cpu))
        wall_rates.append(len(items) / (time.perf_counter() - wall))
    return cpu_rates, wall_rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sgd", type=Path, help="also time these annotated dialogues (dialogues.jsonl)")
    parser.add_argument("--quick", action="store_true", help="0.1x the conversations")
    parser.add_argument("--json", type=Path, help="also write the figures here (benchmarks/run_all.py reads them)")
    args = parser.parse_args()
    if args.quick:
        args.conversations //= 10
    figures: list[Figure] = []

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    items = generate(args.conversations)
    turns = sum(len(item.conversation) for item in items) / len(items)
    with_context = sum(item.input is not None for item in items) / len(items)

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {machine()}; load average {load_average()}")
    print("engine: local, all three evaluators per conversation, one core")
    cpu_rates, wall_rates = measure(items, args.repeat)
    cpu, wall = max(cpu_rates), max(wall_rates)
    figures.append(Figure("local evaluators, simulated journeys, one core", "conversations/s",
                          [round(r) for r in cpu_rates], target=f">= {TARGET}", note="per second of CPU time"))
    print(
        f"simulated: {len(items):,} conversations, {turns:.1f} turns on average, {with_context:.0%} with earlier stages: "
        f"{against_target(cpu, wall)}"
    )
    if args.sgd is not None and args.sgd.exists():
        real = sgd_items(args.sgd)
        real_turns = sum(len(item.conversation) for item in real) / len(real)
        cpu_rates, wall_rates = measure(real, args.repeat)
        cpu, wall = max(cpu_rates), max(wall_rates)
        figures.append(Figure(f"local evaluators, SGD dialogues ({real_turns:.0f} turns), one core", "conversations/s",
                              [round(r) for r in cpu_rates], target=f">= {TARGET}", note="per second of CPU time"))
        print(f"SGD: {len(real):,} dialogues, {real_turns:.1f} turns on average: {against_target(cpu, wall)}")
    elif args.sgd is not None:
        print(f"SGD: skipped, {args.sgd} not found")

    if args.json:
        write_figures(args.json, "evals", figures)


def against_target(cpu: float, wall: float) -> str:
    verdict = "meets" if cpu >= TARGET else "MISSES"
    return f"{cpu:,.0f} conversations/s of CPU time ({wall:,.0f}/s wall) -> {verdict} the {TARGET:,}/s target"


if __name__ == "__main__":
    main()
