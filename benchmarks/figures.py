"""What every benchmark reports, in one shape: figures with their runs and target, as JSON.

A benchmark script given `--json PATH` writes

    {"benchmark": "ingest", "command": "...", "machine": "...", "load": "1.02 0.80 0.61",
     "figures": [{"name": "...", "unit": "spans/s", "runs": [..], "target": ">= 0.5",
                  "higher_is_better": true}, ...]}

`benchmarks/run_all.py` reads these files, takes the median and range of each figure's runs and
states whether its target is met. Nothing here asserts: a missed target is reported, not raised.
"""

from __future__ import annotations

import json
import operator
import os
import platform
import shlex
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

_COMPARISONS = {">=": operator.ge, "<=": operator.le}


@dataclass
class Figure:
    name: str
    unit: str
    runs: list[float] = field(default_factory=list)
    target: str | None = None  # ">= 0.5" or "<= 120": compared with the median
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def met(self) -> bool | None:
        """True or False against the target, None when the figure has no target (or no runs)."""
        if not self.target or not self.runs:
            return None
        op, bound = self.target.split()
        return _COMPARISONS[op](self.median, float(bound))


def machine() -> str:
    """CPU model, cores and the Python that ran the benchmark."""
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")),
            model,
        )
    return f"{model}, {os.cpu_count()} logical CPUs, Python {platform.python_version()} on {platform.system()}"


def command_line() -> str:
    """How this benchmark was started, as one shell line."""
    return shlex.join([Path(sys.executable).name, *sys.argv])


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: a figure measured beside other work is noisier."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def print_figures(figures: list[Figure]) -> None:
    print(f"machine: {machine()}; load {load_average()}")
    for figure in figures:
        verdict = {True: "meets", False: "MISSES", None: ""}[figure.met()]
        runs = ", ".join(f"{r:g}" for r in figure.runs)
        print(f"{figure.name}: median {figure.median:g} {figure.unit} ({runs}) {verdict} {figure.target or ''}".rstrip())
        if figure.note:
            print(f"    {figure.note}")


def write_figures(path: Path, benchmark: str, figures: list[Figure]) -> None:
    payload = {
        "benchmark": benchmark,
        "command": command_line(),
        "machine": machine(),
        "load": load_average(),
        "figures": [asdict(f) for f in figures],
    }
    Path(path).write_text(json.dumps(payload, indent=2) + "\n")


def read_figures(path: Path) -> tuple[dict, list[Figure]]:
    """A benchmark's JSON file: its header and its figures. A flat {name: number} mapping (a
    script that reports single values) is read as figures of one run each, without targets."""
    payload = json.loads(Path(path).read_text())
    if "figures" not in payload:
        numbers = {k: v for k, v in payload.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return payload, [Figure(name, "", [float(value)]) for name, value in numbers.items()]
    return payload, [
        Figure(f["name"], f.get("unit", ""), [float(r) for r in f.get("runs", [f.get("value")]) if r is not None],
               f.get("target"), f.get("note", ""))
        for f in payload["figures"]
    ]
