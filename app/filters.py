"""The dashboard's shared filters: their URL form and the SQL they become on each mart.

Marts have different grains (`stage_funnel` has no segment, `stage_compliance` no cohort), so a
filter is applied only where the mart has a column for it, and the page says which active
filters it could not apply instead of silently showing unfiltered numbers as filtered ones.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

# Filter name -> label shown to the user. The order is the sidebar's order.
FILTER_LABELS: dict[str, str] = {
    "journeys": "journey",
    "cohorts": "cohort week",
    "segments": "segment",
    "channels": "channel",
    "dates": "date range",
}
# Filter name -> URL query parameter; repeated parameters carry several values.
URL_KEYS: dict[str, str] = {
    "journeys": "journey",
    "cohorts": "cohort",
    "segments": "segment",
    "channels": "channel",
}
URL_START, URL_END = "from", "to"
ALL_URL_KEYS = (*URL_KEYS.values(), URL_START, URL_END)

CHANNEL_SEPARATOR = " > "


@dataclass(frozen=True)
class Filters:
    """The sidebar's selection. An empty tuple or a None date means "no restriction"."""

    journeys: tuple[str, ...] = ()
    cohorts: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None  # inclusive

    def active(self) -> list[str]:
        """Names (FILTER_LABELS keys) of the filters that restrict something."""
        names = [name for name in URL_KEYS if getattr(self, name)]
        if self.start or self.end:
            names.append("dates")
        return names

    def only(self, *names: str) -> Filters:
        """A copy keeping only the named filters, so two sections of a page can be made to
        describe the same population."""
        cleared = {f.name: None if f.name in ("start", "end") else () for f in fields(self)}
        keep = {name for name in names if name != "dates"}
        kept = {name: getattr(self, name) for name in keep}
        if "dates" in names:
            kept.update(start=self.start, end=self.end)
        return replace(self, **{**cleared, **kept})

    def to_query_params(self) -> dict[str, list[str]]:
        params = {URL_KEYS[name]: list(getattr(self, name)) for name in URL_KEYS if getattr(self, name)}
        if self.start:
            params[URL_START] = [self.start.isoformat()]
        if self.end:
            params[URL_END] = [self.end.isoformat()]
        return params


def _parse_date(value: str | None, problems: list[str], key: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"ignored {key}={value!r}: not a date (use YYYY-MM-DD)")
        return None


def filters_from_query_params(get_all: Callable[[str], list[str]]) -> tuple[Filters, list[str]]:
    """Parse the URL (`get_all` is `st.query_params.get_all`). Returns the filters and the
    problems found, so a mistyped link is explained rather than crashing or silently ignored."""
    problems: list[str] = []
    values: dict[str, Any] = {name: tuple(dict.fromkeys(get_all(key))) for name, key in URL_KEYS.items()}
    start_values, end_values = get_all(URL_START), get_all(URL_END)
    start = _parse_date(start_values[-1] if start_values else None, problems, URL_START)
    end = _parse_date(end_values[-1] if end_values else None, problems, URL_END)
    if start and end and start > end:
        problems.append(f"ignored the date range {start} to {end}: it ends before it starts")
        start = end = None
    return Filters(**values, start=start, end=end), problems


@dataclass(frozen=True)
class Clause:
    """A `where` clause for one mart plus what it did with the active filters."""

    sql: str
    params: tuple[Any, ...]
    applied: tuple[str, ...]
    not_applied: tuple[str, ...]

    def and_(self, condition: str, *params: Any) -> Clause:
        """Add a page-specific condition (with its parameters) to the filters' clause."""
        joined = f"{self.sql} and {condition}" if self.sql else f"where {condition}"
        return replace(self, sql=joined, params=(*self.params, *params))


def _member(column: str, null_is_any: bool) -> str:
    """`column` is one of the bound list's values (or null, where null means any)."""
    condition = f"list_contains(?::varchar[], {column})"
    return f"{column} is null or {condition}" if null_is_any else condition


def clause(
    filters: Filters, columns: Collection[str], prefix: str = "", *, null_is_any: bool = False
) -> Clause:
    """The conditions of the active filters that `columns` (a mart's columns) can take.

    `prefix` qualifies column names (e.g. `"c."`) when the query joins several marts. Every
    value is a bound parameter: filter values come from the URL, so they are user input.
    `null_is_any`: in the closed-loop marts a row without a channel, cohort or segment (a
    cohort-level signal, a channel signal pooled over cohorts, a stage-transition drift) holds
    for every one, so a filter on that dimension keeps it.
    """
    conditions: list[str] = []
    params: list[Any] = []
    applied: list[str] = []
    not_applied: list[str] = []

    def take(name: str, condition: str | None, *values: Any) -> None:
        if condition is None:
            not_applied.append(name)
            return
        conditions.append(condition)
        params.extend(values)
        applied.append(name)

    simple = {"journeys": "journey_name", "cohorts": "cohort_week", "segments": "segment"}
    for name in filters.active():
        if name in simple:
            column = simple[name]
            take(
                name,
                _member(f"{prefix}{column}", null_is_any) if column in columns else None,
                list(getattr(filters, name)),
            )
        elif name == "channels":
            if "channel" in columns:
                take(name, _member(f"{prefix}channel", null_is_any), list(filters.channels))
            elif "channel_sequence" in columns:
                take(
                    name,
                    f"list_has_any(string_split({prefix}channel_sequence, ?), ?::varchar[])",
                    CHANNEL_SEPARATOR,
                    list(filters.channels),
                )
            else:
                take(name, None)
        else:  # dates
            # A per-day aggregate may have only partition_date, the UTC date conversations started.
            column = next((c for c in ("started_at", "date", "partition_date") if c in columns), None)
            if column is None:
                take(name, None)
                continue
            bounds = []
            if filters.start:
                bounds.append((f"{prefix}{column} >= ?", filters.start))
            if filters.end:
                # Half-open at the day after `end`, so the whole last day counts for timestamps.
                bounds.append((f"{prefix}{column} < ?", filters.end + timedelta(days=1)))
            if column != "partition_date" and "partition_date" in columns:
                # the same days, named so a partitioned mart reads only theirs
                bounds += [(f"{prefix}partition_date >= ?", filters.start)] if filters.start else []
                bounds += [(f"{prefix}partition_date <= ?", filters.end)] if filters.end else []
            take(name, " and ".join(c for c, _ in bounds), *(v for _, v in bounds))
    sql = "where " + " and ".join(f"({c})" for c in conditions) if conditions else ""
    return Clause(sql, tuple(params), tuple(applied), tuple(not_applied))


def describe(clause_: Clause) -> str:
    """One line for a chart caption: which active filters shaped it and which could not."""
    parts = []
    if clause_.applied:
        parts.append("Filtered by " + ", ".join(FILTER_LABELS[n] for n in clause_.applied) + ".")
    if clause_.not_applied:
        parts.append(
            "Not filtered by "
            + ", ".join(FILTER_LABELS[n] for n in clause_.not_applied)
            + ": this data has no such column."
        )
    return " ".join(parts)


def restrict(filters: Filters, options: Mapping[str, Collection[str]]) -> tuple[Filters, list[str]]:
    """Drop filter values the snapshot does not know (a stale link), saying which."""
    problems = []
    kept: dict[str, tuple[str, ...]] = {}
    for name, known in options.items():
        values = getattr(filters, name)
        unknown = [v for v in values if v not in known]
        if unknown:
            problems.append(f"ignored unknown {FILTER_LABELS[name]} {', '.join(map(repr, unknown))}")
        kept[name] = tuple(v for v in values if v in known)
    return replace(filters, **kept), problems
