"""One pass over a conversation that every local evaluator reads.

The walk pairs each agent request with the customer's reply, so it can tell a re-ask (the agent
asks for a kind of fact the customer already gave, and the reply repeats it; or the reply
restates words the customer already said, `evals.spans`) from a new question, and a carry-over
(the agent proposes the value the customer gave earlier) from a confirmation. Outcome cues
(success and failure notices, hand-overs) and customer reactions are collected in order for
the resolution evaluator.

Evaluating several evaluators on one conversation reuses one analysis, which keeps the local
engine fast.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, NamedTuple

from evals.cues import Cue, agent_cues, customer_cues, is_pleasantry
from evals.facts import (
    SPECIFICITY,
    Fact,
    bare_count,
    bare_id,
    content_words,
    extract_facts,
    is_open_question,
    may_request,
    requested_kinds,
    same_fact,
)
from evals.spans import Grams, Run, SpanMemory, content_runs, grams_of
from evals.text import lower, quote, split_sentences, tokens_of
from evals.types import ConversationLike, TranscriptError, Turn, normalize_conversation

# Kinds whose value is specific enough that repeating it after any question means something.
_SPECIFIC_KINDS = frozenset({"email", "phone", "id", "amount", "date", "time"})
# Typed values the span signal leaves to the fact path, whose equality rules know that "13:30"
# is "half past 1": their words are masked out of a turn before its content spans are read.
_TYPED_KINDS = _SPECIFIC_KINDS | {"count"}
# The kind of a restated content span (`evals.spans`), a value of no typed kind.
DETAIL = "detail"
# Kinds a short reply can state without any marker ("Which city?" - "Boston"), so the reply
# itself becomes the fact.
_BARE_REPLY_KINDS = ("name", "place", "preference")
_BARE_REPLY_MAX_WORDS = 12

# Re-ask weights (the chance the evidence is a real retention failure), as priors:
_WEIGHT_COMPLAINT = 0.9  # the customer says they already gave it
_WEIGHT_SAME_KIND_ONLY = 0.15  # asked for a kind already given, but the reply is a new value
_WEIGHT_UNANSWERED = 0.3  # asked for a kind already given, and the conversation ends
_WEIGHT_AFTER_ANY_QUESTION = 0.3  # a specific value repeated after a question we cannot classify
# A reply to a preference question that repeats more than this share of an earlier preference
# answers with it; at most this share, it refines it ("a movie", then "What genre?" - "a comedy
# movie"), and `_WEIGHT_PARTIAL_PREFERENCE` of the repeated share counts.
_PREFERENCE_ANSWER_SHARE = 0.5
_WEIGHT_PARTIAL_PREFERENCE = 0.5
# A restated span weighs its specificity times the share of the reply it makes up; after a
# yes/no question ("Do you have a streaming device?") it is volunteered, so it counts this much.
_WEIGHT_SPAN_AFTER_CLOSED_QUESTION = 0.3
# Below this a restated span is noise (a common word in a long answer), not evidence to report.
_MIN_SPAN_WEIGHT = 0.05
_SPAN_ANSWER_COVERAGE = 0.5  # a reply at least this much restated answers with the earlier value
_OUTCOMES = frozenset({"success", "failure", "soft_failure", "escalation"})
_REPEAT_JACCARD = 0.8
_REPEAT_MIN_WORDS = 5

# What a caller may give as the earlier context (see `read_context`): nothing, one transcript,
# or a list whose items are transcripts (earlier stages, oldest first), fact strings
# ("email: ann@example.com"), `Fact`s or stated facts ({"kind": "email", "value": "..."}).
StatedFact = Mapping[str, str]
ContextItem = ConversationLike | Fact | StatedFact
ContextLike = ConversationLike | Sequence[ContextItem] | None


class GivenFact(NamedTuple):
    """A fact the customer stated: where (`source` is `conversation`, or `context[k]` for the
    k-th item of the earlier context, a transcript or a stated fact) and at which turn (for a
    stated fact: its position k in the list)."""

    fact: Fact
    turn: int
    source: str
    said: str  # the turn's text; quoted (shortened) only when shown

    @property
    def quote(self) -> str:
        return quote(self.said)

    @property
    def from_context(self) -> bool:
        return self.source != "conversation"


@dataclass(frozen=True, slots=True)
class ReAsk:
    turn: int  # the agent turn that asked
    question: str
    kinds: tuple[str, ...]
    earlier: GivenFact | None
    answer_turn: int | None  # the customer's reply, None when the conversation ended first
    weight: float  # how strongly this proves the agent lost the information, in [0, 1]
    confirmed: bool  # the customer answered with the earlier value or said they already gave it
    repeated: bool  # the reply repeats the earlier value (perhaps among new information)

    @property
    def cross_stage(self) -> bool:
        return self.earlier is not None and self.earlier.from_context


@dataclass(frozen=True, slots=True)
class CarryOver:
    turn: int  # the agent turn that proposed the earlier value
    earlier: GivenFact
    sentence: str


class Event(NamedTuple):
    """An outcome cue (agent) or a reaction (customer), in conversation order."""

    kind: str
    turn: int
    said: str  # the words around the cue; quoted (shortened) only when shown

    @property
    def quote(self) -> str:
        return quote(self.said)


@dataclass(frozen=True)
class ConversationAnalysis:
    turns: tuple[Turn, ...]
    context_facts: tuple[GivenFact, ...]
    given: tuple[GivenFact, ...]
    details: int  # content spans (word n-grams) the customer said, here and in the context
    reasks: tuple[ReAsk, ...]
    carryovers: tuple[CarryOver, ...]
    repeated_agent_turns: tuple[tuple[int, int], ...]  # (turn, the earlier turn it repeats)
    events: tuple[Event, ...]
    customer_cues: tuple[tuple[int, frozenset[str]], ...]
    agent_cues: tuple[tuple[int, frozenset[str]], ...]

    @property
    def customer_turns(self) -> int:
        return len(self.customer_cues)

    @property
    def has_request(self) -> bool:
        """Whether there is anything to resolve: a customer turn that is more than greetings and
        thanks, or an outcome notice from the agent."""
        return any("pleasantry" not in kinds for _, kinds in self.customer_cues) or any(
            e.kind in _OUTCOMES for e in self.events
        )

    @property
    def agent_turns(self) -> int:
        return len(self.agent_cues)

    def quote_of(self, index: int) -> str:
        """The (shortened) text of the turn with this index."""
        return next((quote(t.text) for t in self.turns if t.index == index), "")


class _TurnCache:
    """What each turn's text says on its own (facts, cues, requests, content words), by text.

    Agents repeat themselves (greetings, closings, templated questions; a bot more so) and
    customers reply in the same few words ("Yes.", "Thanks."), so a day of traffic reads the
    same texts many times. Everything kept here is a function of the text alone, so reusing it
    changes nothing but the time. A text is kept from its second reading on: most texts are
    said once, and keeping their readings (sets and tuples the garbage collector walks on every
    full collection) cost more than the repeats saved. Bounded: a full table is emptied and
    refilled. Plain dict and set operations, so safe for worker threads (at worst a text is
    read twice)."""

    def __init__(self, size: int):
        self._size = size
        self._seen: set[str] = set()  # texts read once (strings: nothing for the collector to walk)
        self.agent: dict[tuple[str, bool], _AgentSaid] = {}
        self.customer: dict[tuple[str, bool], _CustomerSaid] = {}

    def remember(self, table: dict[tuple[str, bool], Any], key: tuple[str, bool], said: Any) -> Any:
        text = key[0]
        if text in self._seen:
            if len(table) >= self._size:
                table.clear()
            table[key] = said
        else:
            if len(self._seen) >= 4 * self._size:
                self._seen.clear()
            self._seen.add(text)
        return said

    def clear(self) -> None:
        self._seen.clear()
        self.agent.clear()
        self.customer.clear()


TURN_CACHE = _TurnCache(8192)  # per role, ~2.4 kB a text: at most ~40 MB


@dataclass(frozen=True, slots=True)
class _AgentStep:
    turn: Turn
    asked: frozenset[str]
    question: str
    proposals: tuple[tuple[Fact, str], ...]
    is_question: bool
    asks: bool  # a question, or a request without "?" ("please tell me your device")
    cues: tuple[Cue, ...]
    tokens: frozenset[str]
    lowered: str


# All of an `_AgentStep` but its turn, in field order.
_AgentSaid = tuple[frozenset[str], str, tuple[tuple[Fact, str], ...], bool, bool, tuple[Cue, ...], frozenset[str], str]


@dataclass(frozen=True, slots=True)
class _CustomerStep:
    turn: Turn
    facts: tuple[Fact, ...]
    cues: frozenset[str]
    answering: _AgentStep | None
    kinds: frozenset[str]  # of its facts
    parsed_kinds: frozenset[str]  # of the facts its own words mark, not read from a bare reply
    runs: tuple[Run, ...]  # its content spans, typed values masked out
    stated: tuple[Run, ...]  # those outside its questions: what an answer restates
    typed_values: int  # how many typed values were masked out


def _agent_step(turn: Turn, full: bool) -> _AgentStep:
    key = (turn.text, full)
    said = TURN_CACHE.agent.get(key)
    if said is None:
        said = TURN_CACHE.remember(TURN_CACHE.agent, key, _agent_said(turn.text, full))
    return _AgentStep(turn, *said)


def _agent_said(text: str, full: bool) -> _AgentSaid:
    """What an agent turn's text says, whatever the turn's place (all of `_AgentStep` but it)."""
    asked: set[str] = set()
    question = ""
    proposals: list[tuple[Fact, str]] = []
    lowered = lower(text)
    tokens = tokens_of(lowered, text)
    asks = "?" in text or may_request(text)
    for sentence in split_sentences(text) if asks else ():
        kinds = requested_kinds(sentence, tokens)
        if "?" in sentence:
            # Any value in a question is put to the customer: reusing an earlier one is retention.
            offered = extract_facts(sentence, tokens)
        elif kinds:
            offered = extract_facts(sentence, tokens, only=kinds)
        else:
            continue
        proposals.extend((f, sentence) for f in offered)
        # "Will you check in on March 8th?" proposes a value: a confirmation, not a re-ask.
        if kinds and (is_open_question(sentence) or not any(f.kind in kinds for f in offered)):
            asked |= kinds
            question = question or sentence
    cues = tuple(agent_cues(lowered, tokens)) if full else ()
    return (frozenset(asked), question, tuple(proposals), "?" in text, asks, cues, tokens, lowered)


def _bare_reply_facts(step: _AgentStep, text: str, found: list[Fact]) -> list[Fact]:
    """Facts stated by a short reply to a question that asked for them ("Which city?" - "Boston")."""
    if not step.asked or len(text.split()) > _BARE_REPLY_MAX_WORDS:
        return []
    have = {f.kind for f in found}
    extra: list[Fact] = []
    missing = [kind for kind in _BARE_REPLY_KINDS if kind in step.asked and kind not in have]
    if missing and (words := content_words(text, exclude=content_words(step.question))):
        extra.extend(Fact(kind, words, text) for kind in missing)
    if "count" in step.asked and "count" not in have and (count := bare_count(text)):
        extra.append(count)
    if "id" in step.asked and "id" not in have and (code := bare_id(text, found)):
        extra.append(code)
    return extra


_NO_CONTENT: tuple[tuple[Run, ...], tuple[Run, ...], int] = ((), (), 0)
_NO_KINDS: frozenset[str] = frozenset()


def _customer_content(lowered: str, facts: list[Fact]) -> tuple[tuple[Run, ...], tuple[Run, ...], int]:
    """The content spans of a customer turn with its typed values masked out (left to the fact
    path), the same outside its questions, and how many typed values were masked."""
    typed = 0
    for fact in facts:
        if fact.kind in _TYPED_KINDS:
            value = lower(fact.text)
            lowered = lowered.replace(value, "|")
            typed += 1
    runs, stated = content_runs(lowered)
    return runs, stated, typed


class _CustomerSaid(NamedTuple):
    """What a customer turn's text says on its own, before the question it answers is known."""

    tokens: frozenset[str]
    facts: tuple[Fact, ...]
    kinds: frozenset[str]
    cues: frozenset[str]
    pleasantry: bool
    content: tuple[tuple[Run, ...], tuple[Run, ...], int]
    lowered: str


def _customer_said(text: str, full: bool) -> _CustomerSaid:
    lowered = lower(text)
    tokens = tokens_of(lowered, text)
    facts = extract_facts(text, tokens)
    kinds = frozenset([f.kind for f in facts]) if facts else _NO_KINDS
    cues = customer_cues(lowered, tokens) if full else frozenset()
    # A turn that only greets or thanks states no detail to remember.
    pleasantry = is_pleasantry(tokens)
    content = _NO_CONTENT if pleasantry else _customer_content(lowered, facts)
    return _CustomerSaid(tokens, tuple(facts), kinds, cues, pleasantry, content, lowered)


def _customer_step(turn: Turn, pending: _AgentStep | None, full: bool) -> _CustomerStep:
    key = (turn.text, full)
    said = TURN_CACHE.customer.get(key)
    if said is None:
        said = TURN_CACHE.remember(TURN_CACHE.customer, key, _customer_said(turn.text, full))
    facts, kinds, content = said.facts, said.kinds, said.content
    if pending is not None and (bare := _bare_reply_facts(pending, turn.text, list(facts))):
        facts += tuple(bare)
        kinds = kinds.union([f.kind for f in bare])
        if not said.pleasantry and not _TYPED_KINDS.isdisjoint(f.kind for f in bare):
            # A bare count or code is a typed value too: mask it out of the content spans.
            content = _customer_content(said.lowered, list(facts))
    return _CustomerStep(turn, facts, said.cues, pending, kinds, said.kinds, *content)


def _walk(turns: Sequence[Turn], full: bool = True) -> Iterator[_AgentStep | _CustomerStep]:
    """Agent and customer steps in order. Earlier context only needs what the customer said, so
    `full=False` skips the cues."""
    pending: _AgentStep | None = None
    for turn in turns:
        if turn.role == "agent":
            pending = _agent_step(turn, full)
            yield pending
        else:
            yield _customer_step(turn, pending, full)
            pending = None


def is_transcript(value: Any) -> bool:
    """Whether `value` reads as one transcript (labelled text, or a list of turns), as opposed
    to a list of transcripts or of facts."""
    if isinstance(value, str):
        try:
            return bool(normalize_conversation(value))
        except TranscriptError:
            return False
    return (
        isinstance(value, Sequence)
        and bool(value)
        and isinstance(value[0], (Mapping, Turn))
        and (isinstance(value[0], Turn) or "role" in value[0] or "speaker" in value[0])
    )


def _facts_of_statement(text: str) -> list[Fact]:
    """A fact given as free text ("prefers evening calls"): its typed values, or its words."""
    facts = extract_facts(text)
    if not facts and (words := content_words(text)):
        facts = [Fact("preference", words, text)]
    return facts


class Said(NamedTuple):
    """What the customer said in one transcript: (fact, turn index, turn text) for each fact,
    and the n-grams of their content spans (`evals.spans.grams_of`). Kept small: the cache holds
    thousands, and every object in it adds to the garbage collector's work."""

    facts: tuple[tuple[Fact, int, str], ...]
    grams: Grams


def _transcript_key(turns: tuple[Turn, ...]) -> tuple[int | str, ...]:
    """A transcript's turns flattened into one tuple (index, role, text, index, ...), equal
    exactly when the turns are. As the cache key it replaces the turns themselves: a tuple of
    ints and strings is one object the garbage collector soon stops tracking, while keeping
    thousands of transcripts' Turn objects alive made every collection walk them."""
    return tuple(chain.from_iterable(turns))


class _TranscriptCache:
    """What the customer said in recently seen transcripts (least recently used dropped first).

    Every later stage of a journey reads the same earlier transcripts, and each of those was
    usually analysed as a conversation of its own just before: `analyse` stores what it found,
    so reading a transcript as context costs a lookup. Thread-safe."""

    def __init__(self, size: int):
        self._size = size
        self._entries: OrderedDict[tuple[int | str, ...], Said] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, turns: tuple[Turn, ...]) -> Said | None:
        key = _transcript_key(turns)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, turns: tuple[Turn, ...], said: Said) -> None:
        key = _transcript_key(turns)
        with self._lock:
            self._entries[key] = said
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


TRANSCRIPT_CACHE = _TranscriptCache(4096)


def _transcript_said(turns: tuple[Turn, ...]) -> Said:
    """What the customer said in an earlier transcript."""
    said = TRANSCRIPT_CACHE.get(turns)
    if said is None:
        steps = [step for step in _walk(turns, full=False) if isinstance(step, _CustomerStep)]
        grams: Grams = {}
        for step in steps:
            grams_of(step.runs, step.turn.index, grams)
        said = Said(
            tuple((fact, step.turn.index, step.turn.text) for step in steps for fact in step.facts), grams
        )
        TRANSCRIPT_CACHE.put(turns, said)
    return said


class EarlierContext(NamedTuple):
    """What the customer said before this conversation: typed facts, and per source (oldest
    first) the n-grams of its content spans (`evals.spans.grams_of`), its label (`context[k]`)
    and its turns."""

    facts: list[GivenFact]
    spans: list[tuple[Grams, str, Sequence[Turn]]]


def read_context(context: ContextLike) -> EarlierContext:
    """What the customer said before this conversation.

    `context` is None, one transcript (any form `normalize_conversation` takes), a list of
    transcripts (earlier stages, oldest first), or a list of facts: strings like
    "email: ann@example.com", `Fact`s, or mappings `{"kind": ..., "value": ...}`. Anything else
    raises `TranscriptError`."""
    earlier = EarlierContext([], [])
    if context is None:
        return earlier
    items = [context] if is_transcript(context) else context
    if isinstance(items, (str, Mapping)) or not isinstance(items, Sequence):
        raise TranscriptError("input must be a transcript, a list of transcripts or a list of facts")

    def statement(position: int, text: str, facts: list[Fact]) -> None:
        # A fact given as an item of the list is a source of its own, read as one customer turn
        # whose index is its position: its evidence says `context[k]` with turn k.
        source = f"context[{position}]"
        earlier.facts.extend(GivenFact(f, position, source, text) for f in facts)
        grams = grams_of(_customer_content(lower(text), facts)[0], position, {})
        earlier.spans.append((grams, source, [Turn(position, "customer", text)]))

    for position, item in enumerate(items):
        if isinstance(item, (list, tuple)) and not item:
            continue  # an empty earlier transcript states nothing
        if isinstance(item, Fact):
            statement(position, item.text, [item])
        elif isinstance(item, Mapping) and "value" in item:
            kind = str(item.get("kind", item.get("type", "")))
            text = str(item["value"])
            facts = [f for f in _facts_of_statement(text) if not kind or f.kind == kind]
            facts = facts or [Fact(kind or "preference", content_words(text), text)]
            statement(position, text, [f for f in facts if f.key])
        elif isinstance(item, str) and not is_transcript(item):
            statement(position, item, _facts_of_statement(item))
        elif is_transcript(item):
            source = f"context[{position}]"
            turns = normalize_conversation(item)
            said = _transcript_said(turns)
            earlier.facts.extend(GivenFact(f, turn, source, text) for f, turn, text in said.facts)
            earlier.spans.append((said.grams, source, turns))
        else:
            raise TranscriptError(
                f"input item {position}: expected a transcript, a fact string or a {{kind, value}} mapping, "
                f"got {type(item).__name__}"
            )
    return earlier


def _is_open_request(text: str) -> bool:
    """Whether an agent turn asks for information: a wh-question or a request ("please tell me
    your device"), not only a yes/no question."""
    return any(
        is_open_question(sentence) if "?" in sentence else may_request(sentence)
        for sentence in split_sentences(text)
    )


class _RestatedSpan(NamedTuple):
    """A reply that restates words the customer said before."""

    earlier: GivenFact  # the earlier mention
    weight: float
    answers_with_it: bool  # the reply is mainly that span: it answers with the earlier value


def _restated_span(step: _CustomerStep, asking: _AgentStep, memory: SpanMemory) -> _RestatedSpan | None:
    """The span of the reply that restates words the customer said before, if one weighs enough."""
    if not asking.asks or not step.stated:
        return None
    if step.kinds and not (
        step.parsed_kinds.isdisjoint(asking.asked) and _TYPED_KINDS.isdisjoint(step.kinds & asking.asked)
    ):
        # Answered with a value of the kind asked for, marked as such ("hotels in Sydney" to
        # "Which city?"): the fact path judges it, and the words around it only restate the
        # request. A reply read as a bare value ("Horror movies and anime" to "What kind of shows
        # do you enjoy?") is not: its earlier statement may not have been read as a fact of that
        # kind at all ("I mostly watch ..."), so its restated wording is judged too.
        return None
    restated = memory.restated(step.turn.text, step.stated, asking.tokens, step.typed_values)
    if restated is None:
        return None
    open_request = _is_open_request(asking.turn.text)
    factor = 1.0 if open_request else _WEIGHT_SPAN_AFTER_CLOSED_QUESTION
    weight = restated.specificity * restated.coverage * factor
    if weight < _MIN_SPAN_WEIGHT:
        return None
    origin = restated.origin
    earlier = GivenFact(Fact(DETAIL, restated.key, restated.surface), origin.turn, origin.source, origin.said)
    return _RestatedSpan(earlier, weight, open_request and restated.coverage >= _SPAN_ANSWER_COVERAGE)


def _singular(words: frozenset[str]) -> frozenset[str]:
    """Words with a plural "s" dropped, so "movies" in a question echoes "movie" in a reply."""
    return frozenset(w[:-1] if len(w) > 3 and w[-1] == "s" and w[-2] != "s" else w for w in words)


class _RepeatedPreference(NamedTuple):
    """The earlier preference a reply repeats most, and the share of the reply's words it repeats."""

    earlier: GivenFact
    share: float


def _repeated_preference(fact: Fact, asking: _AgentStep, earlier: list[GivenFact]) -> _RepeatedPreference | None:
    """The earlier preference a reply to a preference question repeats most, and the share of
    the reply's words it repeats, leaving out the words the question said ("What kind of movie?"
    - "A comedy movie" repeats "movie" from the question, not from "I want to watch a movie").
    More than `_PREFERENCE_ANSWER_SHARE` repeated answers with the earlier value; less is a
    refinement of it ("a comedy movie" after "a movie"), a weak signal."""
    stated = [g for g in earlier if g.fact.kind == "preference"]
    if not stated:
        return None
    reply = _singular(fact.key) - _singular(content_words(asking.question))  # type: ignore[arg-type]
    if not reply:
        return None
    best, share = None, 0.0
    for given in reversed(stated):
        repeated = len(reply & _singular(given.fact.key)) / len(reply)  # type: ignore[arg-type]
        if repeated > share:
            best, share = given, repeated
    return None if best is None else _RepeatedPreference(best, share)


@dataclass(frozen=True, slots=True)
class _Exchange:
    """One question and the customer's reply to it, where `_reask_for` looks for re-ask evidence."""

    asking: _AgentStep
    reply: _CustomerStep

    def reask(
        self, kinds: tuple[str, ...], earlier: GivenFact, weight: float, *, confirmed: bool, repeated: bool
    ) -> ReAsk:
        return ReAsk(
            turn=self.asking.turn.index,
            question=self.asking.question or quote(self.asking.turn.text),
            kinds=kinds,
            earlier=earlier,
            answer_turn=self.reply.turn.index,
            weight=weight,
            confirmed=confirmed,
            repeated=repeated,
        )

    @property
    def asked_kinds(self) -> tuple[str, ...]:
        return tuple(sorted(self.asking.asked))


def _preference_reask(exchange: _Exchange, fact: Fact, earlier_asked: list[GivenFact]) -> ReAsk | None:
    """A preference the reply repeats from an earlier one, asked for again."""
    if (preference := _repeated_preference(fact, exchange.asking, earlier_asked)) is None:
        return None
    answered = preference.share > _PREFERENCE_ANSWER_SHARE
    weight = SPECIFICITY["preference"] * (1.0 if answered else preference.share * _WEIGHT_PARTIAL_PREFERENCE)
    return exchange.reask((fact.kind,), preference.earlier, weight, confirmed=answered, repeated=True)


def _latest_same(fact: Fact, known: list[GivenFact]) -> GivenFact | None:
    """The latest given fact with the same value as `fact`. The kind is compared first: the
    known facts of a long journey are many, and most are of other kinds."""
    kind = fact.kind
    for given in reversed(known):
        if given.fact.kind == kind and same_fact(fact, given.fact):
            return given
    return None


def _typed_reask(exchange: _Exchange, fact: Fact, known: list[GivenFact]) -> ReAsk | None:
    """A typed value the reply repeats from earlier: asked for by kind, or after any question."""
    given = _latest_same(fact, known)
    if given is None:
        return None
    if fact.kind in exchange.asking.asked:
        return exchange.reask((fact.kind,), given, SPECIFICITY[fact.kind], confirmed=True, repeated=True)
    if exchange.asking.is_question:
        # The value came back after a question we could not classify: weaker evidence.
        weight = _WEIGHT_AFTER_ANY_QUESTION * SPECIFICITY[fact.kind]
        return exchange.reask((fact.kind,), given, weight, confirmed=False, repeated=True)
    return None


def _fact_reasks(exchange: _Exchange, known: list[GivenFact], earlier_asked: list[GivenFact]) -> list[ReAsk]:
    """Re-asks the reply's facts show: each repeats a value the customer gave before."""
    asked = exchange.asking.asked
    found: list[ReAsk | None] = []
    for fact in exchange.reply.facts:
        if fact.kind == "preference" and fact.kind in asked:
            found.append(_preference_reask(exchange, fact, earlier_asked))
        elif fact.kind in asked or fact.kind in _SPECIFIC_KINDS:
            found.append(_typed_reask(exchange, fact, known))
    return [reask for reask in found if reask is not None]


def _span_reasks(exchange: _Exchange, memory: SpanMemory) -> list[ReAsk]:
    """Re-asks the reply's restated words show, and a complaint about having said them."""
    if (span := _restated_span(exchange.reply, exchange.asking, memory)) is None:
        return []
    found = [exchange.reask((DETAIL,), span.earlier, span.weight, confirmed=span.answers_with_it, repeated=True)]
    if "repeat_complaint" in exchange.reply.cues:
        found.append(exchange.reask((DETAIL,), span.earlier, _WEIGHT_COMPLAINT, confirmed=True, repeated=True))
    return found


def _asked_kind_reasks(exchange: _Exchange, earlier_asked: list[GivenFact]) -> list[ReAsk]:
    """Re-asks the question alone shows: it asks for a kind of fact the customer already gave."""
    found = []
    if earlier_asked and "repeat_complaint" in exchange.reply.cues:
        found.append(
            exchange.reask(exchange.asked_kinds, earlier_asked[-1], _WEIGHT_COMPLAINT, confirmed=True, repeated=False)
        )
    if "preference" in exchange.reply.kinds:
        # A reply that states a preference of its own answers a preference question with a new
        # one: "I want to watch a movie", "What genre?", "Westerns" narrows, it does not re-ask.
        earlier_asked = [g for g in earlier_asked if g.fact.kind != "preference"]
    if earlier_asked:
        strongest = max(earlier_asked, key=lambda g: SPECIFICITY[g.fact.kind])
        weight = _WEIGHT_SAME_KIND_ONLY * SPECIFICITY[strongest.fact.kind]
        found.append(exchange.reask(exchange.asked_kinds, strongest, weight, confirmed=False, repeated=False))
    return found


def _reask_for(step: _CustomerStep, known: list[GivenFact], memory: SpanMemory) -> ReAsk | None:
    """The strongest re-ask evidence in one question/answer exchange, if any."""
    assert step.answering is not None
    exchange = _Exchange(step.answering, step)
    earlier_asked = [g for g in known if g.fact.kind in step.answering.asked]
    candidates = [
        *_fact_reasks(exchange, known, earlier_asked),
        *_span_reasks(exchange, memory),
        *_asked_kind_reasks(exchange, earlier_asked),
    ]
    return max(candidates, key=lambda r: r.weight, default=None)


def _outcome_events(step: _AgentStep) -> list[Event]:
    events = []
    for cue in step.cues:
        if cue.kind in _OUTCOMES:
            start = max(0, cue.start - 40)
            events.append(Event(cue.kind, step.turn.index, step.turn.text[start : cue.end + 60]))
    # A "success" in a turn that asks the customer to confirm is a read-back, not a notice.
    if any(c.kind == "confirm_request" for c in step.cues):
        events = [e for e in events if e.kind != "success"]
    return events


def _repeats(step: _AgentStep, earlier: list[tuple[int, frozenset[str]]]) -> int | None:
    kinds = {c.kind for c in step.cues}
    if "offer_help" in kinds or "closing" in kinds:
        return None  # "anything else?" twice is courtesy, not a loop
    words = step.tokens
    if len(words) < _REPEAT_MIN_WORDS:
        return None
    size = len(words)
    for turn, other in earlier:
        # Jaccard >= J needs each set to be at least J of the other's size: skip the set algebra.
        n = len(other)
        if (
            n >= _REPEAT_JACCARD * size
            and size >= _REPEAT_JACCARD * n
            and len(words & other) >= _REPEAT_JACCARD * len(words | other)
        ):
            return turn
    earlier.append((step.turn.index, words))
    return None


@dataclass(slots=True)
class _Reading:
    """What `analyse` has gathered so far, turn by turn."""

    known: list[GivenFact]  # every fact the customer gave, in the context and so far here
    memory: SpanMemory
    given: list[GivenFact] = field(default_factory=list)  # those given in this conversation
    reasks: list[ReAsk] = field(default_factory=list)
    carryovers: list[CarryOver] = field(default_factory=list)
    repeated: list[tuple[int, int]] = field(default_factory=list)
    agent_words: list[tuple[int, frozenset[str]]] = field(default_factory=list)  # for `_repeats`
    events: list[Event] = field(default_factory=list)
    customer_cues: list[tuple[int, frozenset[str]]] = field(default_factory=list)
    agent_cues: list[tuple[int, frozenset[str]]] = field(default_factory=list)


# Customer cues that are events of the conversation, reported in order with the agent's outcomes.
_REACTIONS = ("decline", "accept", "abandon", "persists", "escalation_demand")


def _read_agent(step: _AgentStep, reading: _Reading) -> None:
    reading.agent_cues.append((step.turn.index, frozenset(c.kind for c in step.cues)))
    reading.events.extend(_outcome_events(step))
    for fact, sentence in step.proposals:
        match = _latest_same(fact, reading.known)
        if match is not None:
            reading.carryovers.append(CarryOver(step.turn.index, match, sentence))
    if (earlier_turn := _repeats(step, reading.agent_words)) is not None:
        reading.repeated.append((step.turn.index, earlier_turn))


def _complaint_reask(step: _CustomerStep, known: list[GivenFact]) -> ReAsk:
    """ "I already told you" with no question to pin it on: it points at the latest fact given."""
    return ReAsk(
        turn=step.turn.index,
        question=quote(step.turn.text),
        kinds=(),
        earlier=known[-1] if known else None,
        answer_turn=step.turn.index,
        weight=_WEIGHT_COMPLAINT,
        confirmed=True,
        repeated=False,
    )


def _read_customer(step: _CustomerStep, reading: _Reading) -> None:
    reading.customer_cues.append((step.turn.index, step.cues))
    reading.events.extend(
        Event(kind, step.turn.index, step.turn.text) for kind in _REACTIONS if kind in step.cues
    )
    reask = _reask_for(step, reading.known, reading.memory) if step.answering is not None else None
    if reask is None and "repeat_complaint" in step.cues:
        reask = _complaint_reask(step, reading.known)
    if reask is not None:
        reading.reasks.append(reask)
    new = [GivenFact(f, step.turn.index, "conversation", step.turn.text) for f in step.facts]
    reading.given.extend(new)
    reading.known.extend(new)
    if step.runs:
        reading.memory.add(step.runs, step.turn.index)


def _unanswered_reask(last: _AgentStep, known: list[GivenFact]) -> ReAsk | None:
    """The conversation ends on the agent asking for a kind of fact the customer already gave."""
    earlier = [g for g in known if g.fact.kind in last.asked]
    if not earlier:
        return None
    strongest = max(earlier, key=lambda g: SPECIFICITY[g.fact.kind])
    return ReAsk(
        turn=last.turn.index,
        question=last.question,
        kinds=tuple(sorted(last.asked)),
        earlier=strongest,
        answer_turn=None,
        weight=_WEIGHT_UNANSWERED * SPECIFICITY[strongest.fact.kind],
        confirmed=False,
        repeated=False,
    )


def analyse(
    conversation: ConversationLike | Sequence[Turn], context: ContextLike = None
) -> ConversationAnalysis:
    """Analyse one conversation; `context` is the earlier context (see `read_context`)."""
    turns = normalize_conversation(conversation)
    before = read_context(context)
    reading = _Reading(known=list(before.facts), memory=SpanMemory(turns))
    for grams, source, earlier_turns in before.spans:
        reading.memory.layer(grams, source, earlier_turns)
    last: _AgentStep | _CustomerStep | None = None
    for last in _walk(turns):
        if isinstance(last, _AgentStep):
            _read_agent(last, reading)
        else:
            _read_customer(last, reading)
    if isinstance(last, _AgentStep) and last.asked and (unanswered := _unanswered_reask(last, reading.known)):
        reading.reasks.append(unanswered)
    said = Said(tuple((g.fact, g.turn, g.said) for g in reading.given), reading.memory.own_grams)
    TRANSCRIPT_CACHE.put(turns, said)
    return ConversationAnalysis(
        turns=turns,
        context_facts=tuple(before.facts),
        given=tuple(reading.given),
        details=len(reading.memory),
        reasks=tuple(reading.reasks),
        carryovers=tuple(reading.carryovers),
        repeated_agent_turns=tuple(reading.repeated),
        events=tuple(reading.events),
        customer_cues=tuple(reading.customer_cues),
        agent_cues=tuple(reading.agent_cues),
    )
