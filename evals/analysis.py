"""One pass over a conversation that every local evaluator reads.

The walk pairs each agent request with the customer's reply, so it can tell a re-ask (the agent
asks for a kind of fact the customer already gave, and the reply repeats it) from a new
question, and a carry-over (the agent proposes the value the customer gave earlier) from a
confirmation. Outcome cues (success and failure notices, hand-overs) and customer reactions
are collected in order for the resolution evaluator.

Evaluating several evaluators on one conversation reuses one analysis, which keeps the local
engine fast.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from evals.cues import Cue, agent_cues, customer_cues
from evals.facts import (
    SPECIFICITY,
    Fact,
    bare_count,
    content_words,
    extract_facts,
    is_open_question,
    may_request,
    requested_kinds,
    same_fact,
)
from evals.text import lower, quote, split_sentences, tokens_of
from evals.types import ConversationLike, TranscriptError, Turn, normalize_conversation

# Kinds whose value is specific enough that repeating it after any question means something.
_SPECIFIC_KINDS = frozenset({"email", "phone", "id", "amount", "date", "time"})
# Kinds a short reply can state without any marker ("Which city?" - "Boston"), so the reply
# itself becomes the fact.
_BARE_REPLY_KINDS = ("name", "place", "preference")
_BARE_REPLY_MAX_WORDS = 12

# Re-ask weights (the chance the evidence is a real retention failure), as priors:
_WEIGHT_COMPLAINT = 0.9  # the customer says they already gave it
_WEIGHT_SAME_KIND_ONLY = 0.15  # asked for a kind already given, but the reply is a new value
_WEIGHT_UNANSWERED = 0.3  # asked for a kind already given, and the conversation ends
_WEIGHT_AFTER_ANY_QUESTION = 0.3  # a specific value repeated after a question we cannot classify
_REPEAT_JACCARD = 0.8
_REPEAT_MIN_WORDS = 5

ContextLike = Any  # None, a transcript, a list of transcripts, or a list of facts (see `context_facts`)


class GivenFact(NamedTuple):
    """A fact the customer stated: where (`source` is `conversation`, `context[k]` for the k-th
    earlier transcript, or `context` for a fact list) and at which turn or list position."""

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
    confirmed: bool  # the customer repeated the value or said they already gave it

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
    def agent_turns(self) -> int:
        return len(self.agent_cues)

    def quote_of(self, index: int) -> str:
        """The (shortened) text of the turn with this index."""
        return next((quote(t.text) for t in self.turns if t.index == index), "")


@dataclass(frozen=True, slots=True)
class _AgentStep:
    turn: Turn
    asked: frozenset[str]
    question: str
    proposals: tuple[tuple[Fact, str], ...]
    is_question: bool
    cues: tuple[Cue, ...]
    tokens: frozenset[str]


@dataclass(frozen=True, slots=True)
class _CustomerStep:
    turn: Turn
    facts: tuple[Fact, ...]
    cues: frozenset[str]
    answering: _AgentStep | None


def _agent_step(turn: Turn, with_cues: bool) -> _AgentStep:
    asked: set[str] = set()
    question = ""
    proposals: list[tuple[Fact, str]] = []
    lowered = lower(turn.text)
    tokens = tokens_of(lowered, turn.text)
    asks = "?" in turn.text or may_request(turn.text)
    for sentence in split_sentences(turn.text) if asks else ():
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
    cues = tuple(agent_cues(lowered, tokens)) if with_cues else ()
    return _AgentStep(turn, frozenset(asked), question, tuple(proposals), "?" in turn.text, cues, tokens)


def _bare_reply_facts(step: _AgentStep, text: str, found: list[Fact]) -> list[Fact]:
    """Facts stated by a short reply to a question that asked for them ("Which city?" - "Boston")."""
    if len(text.split()) > _BARE_REPLY_MAX_WORDS:
        return []
    have = {f.kind for f in found}
    extra: list[Fact] = []
    question_words = content_words(step.question)
    for kind in _BARE_REPLY_KINDS:
        if kind in step.asked and kind not in have:
            words = content_words(text, exclude=question_words)
            if words:
                extra.append(Fact(kind, words, text))
    if "count" in step.asked and "count" not in have and (count := bare_count(text)):
        extra.append(count)
    return extra


def _walk(turns: Sequence[Turn], with_cues: bool = True) -> Iterator[_AgentStep | _CustomerStep]:
    """Agent and customer steps in order. Earlier context only needs the customer's facts, so
    `with_cues=False` skips the outcome cues."""
    pending: _AgentStep | None = None
    for turn in turns:
        if turn.role == "agent":
            pending = _agent_step(turn, with_cues)
            yield pending
            continue
        lowered = lower(turn.text)
        tokens = tokens_of(lowered, turn.text)
        facts = extract_facts(turn.text, tokens)
        if pending is not None:
            facts += _bare_reply_facts(pending, turn.text, facts)
        cues = customer_cues(lowered, tokens) if with_cues else frozenset()
        yield _CustomerStep(turn, tuple(facts), cues, pending)
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


class _TranscriptCache:
    """The facts of recently seen transcripts (least recently used dropped first).

    Every later stage of a journey reads the same earlier transcripts, and each of those was
    usually analysed as a conversation of its own just before: `analyse` stores what it found,
    so reading a transcript as context costs a lookup. Thread-safe."""

    def __init__(self, size: int):
        self._size = size
        self._entries: OrderedDict[tuple[Turn, ...], tuple[tuple[Fact, int, str], ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, turns: tuple[Turn, ...]) -> tuple[tuple[Fact, int, str], ...] | None:
        with self._lock:
            entry = self._entries.get(turns)
            if entry is not None:
                self._entries.move_to_end(turns)
            return entry

    def put(self, turns: tuple[Turn, ...], facts: tuple[tuple[Fact, int, str], ...]) -> None:
        with self._lock:
            self._entries[turns] = facts
            self._entries.move_to_end(turns)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


TRANSCRIPT_CACHE = _TranscriptCache(4096)


def _transcript_facts(turns: tuple[Turn, ...]) -> tuple[tuple[Fact, int, str], ...]:
    """(fact, turn index, text) for every fact the customer states in an earlier transcript."""
    facts = TRANSCRIPT_CACHE.get(turns)
    if facts is None:
        facts = tuple(
            (fact, step.turn.index, step.turn.text)
            for step in _walk(turns, with_cues=False)
            if isinstance(step, _CustomerStep)
            for fact in step.facts
        )
        TRANSCRIPT_CACHE.put(turns, facts)
    return facts


def context_facts(context: ContextLike) -> list[GivenFact]:
    """Facts the customer gave before this conversation.

    `context` is None, one transcript (any form `normalize_conversation` takes), a list of
    transcripts (earlier stages, oldest first), or a list of facts: strings like
    "email: ann@example.com", `Fact`s, or mappings `{"kind": ..., "value": ...}`."""
    if context is None:
        return []
    items = [context] if is_transcript(context) else context
    if isinstance(items, (str, Mapping)) or not isinstance(items, Sequence):
        raise TranscriptError("input must be a transcript, a list of transcripts or a list of facts")
    given: list[GivenFact] = []
    for position, item in enumerate(items):
        if isinstance(item, (list, tuple)) and not item:
            continue  # an empty earlier transcript states nothing
        if isinstance(item, Fact):
            given.append(GivenFact(item, position, "context", item.text))
        elif isinstance(item, Mapping) and "value" in item:
            kind = str(item.get("kind", item.get("type", "")))
            text = str(item["value"])
            facts = [f for f in _facts_of_statement(text) if not kind or f.kind == kind]
            facts = facts or [Fact(kind or "preference", content_words(text), text)]
            given.extend(GivenFact(f, position, "context", text) for f in facts if f.key)
        elif isinstance(item, str) and not is_transcript(item):
            given.extend(GivenFact(f, position, "context", item) for f in _facts_of_statement(item))
        elif is_transcript(item):
            source = f"context[{position}]"
            given.extend(
                GivenFact(f, turn, source, said)
                for f, turn, said in _transcript_facts(normalize_conversation(item))
            )
        else:
            raise TranscriptError(
                f"input item {position}: expected a transcript, a fact string or a {{kind, value}} mapping, "
                f"got {type(item).__name__}"
            )
    return given


def _reask_for(step: _CustomerStep, known: list[GivenFact]) -> ReAsk | None:
    """The strongest re-ask evidence in one question/answer exchange, if any."""
    asking = step.answering
    assert asking is not None

    def reask(kinds: tuple[str, ...], earlier: GivenFact, weight: float, confirmed: bool) -> ReAsk:
        question = asking.question or quote(asking.turn.text)
        return ReAsk(asking.turn.index, question, kinds, earlier, step.turn.index, weight, confirmed)

    earlier_asked = [g for g in known if g.fact.kind in asking.asked]
    candidates: list[ReAsk] = []
    for fact in step.facts:
        if fact.kind in asking.asked or fact.kind in _SPECIFIC_KINDS:
            given = next((g for g in reversed(known) if same_fact(fact, g.fact)), None)
            if given is not None and fact.kind in asking.asked:
                candidates.append(reask((fact.kind,), given, SPECIFICITY[fact.kind], True))
            elif given is not None and asking.is_question:
                # The value came back after a question we could not classify: weaker evidence.
                candidates.append(
                    reask((fact.kind,), given, _WEIGHT_AFTER_ANY_QUESTION * SPECIFICITY[fact.kind], False)
                )
    if earlier_asked and "repeat_complaint" in step.cues:
        candidates.append(reask(tuple(sorted(asking.asked)), earlier_asked[-1], _WEIGHT_COMPLAINT, True))
    if earlier_asked:
        strongest = max(earlier_asked, key=lambda g: SPECIFICITY[g.fact.kind])
        weight = _WEIGHT_SAME_KIND_ONLY * SPECIFICITY[strongest.fact.kind]
        candidates.append(reask(tuple(sorted(asking.asked)), strongest, weight, False))
    return max(candidates, key=lambda r: r.weight, default=None)


def _outcome_events(step: _AgentStep) -> list[Event]:
    events = []
    for cue in step.cues:
        if cue.kind in ("success", "failure", "soft_failure", "escalation"):
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
    for turn, other in earlier:
        if len(words & other) >= _REPEAT_JACCARD * len(words | other):
            return turn
    earlier.append((step.turn.index, words))
    return None


def analyse(
    conversation: ConversationLike | Sequence[Turn], context: ContextLike = None
) -> ConversationAnalysis:
    """Analyse one conversation; `context` is the earlier context (see `context_facts`)."""
    turns = normalize_conversation(conversation)
    earlier_facts = context_facts(context)
    known = list(earlier_facts)
    given: list[GivenFact] = []
    reasks: list[ReAsk] = []
    carryovers: list[CarryOver] = []
    repeated: list[tuple[int, int]] = []
    agent_texts: list[tuple[int, frozenset[str]]] = []
    events: list[Event] = []
    c_cues: list[tuple[int, frozenset[str]]] = []
    a_cues: list[tuple[int, frozenset[str]]] = []
    last: _AgentStep | _CustomerStep | None = None
    for step in _walk(turns):
        last = step
        if isinstance(step, _AgentStep):
            a_cues.append((step.turn.index, frozenset(c.kind for c in step.cues)))
            events.extend(_outcome_events(step))
            for fact, sentence in step.proposals:
                match = next((g for g in reversed(known) if same_fact(fact, g.fact)), None)
                if match is not None:
                    carryovers.append(CarryOver(step.turn.index, match, sentence))
            if (earlier_turn := _repeats(step, agent_texts)) is not None:
                repeated.append((step.turn.index, earlier_turn))
            continue
        c_cues.append((step.turn.index, step.cues))
        for kind in ("decline", "accept", "abandon", "persists", "escalation_demand"):
            if kind in step.cues:
                events.append(Event(kind, step.turn.index, step.turn.text))
        reask = _reask_for(step, known) if step.answering is not None else None
        if reask is None and "repeat_complaint" in step.cues:
            latest = known[-1] if known else None
            reask = ReAsk(
                step.turn.index, quote(step.turn.text), (), latest, step.turn.index, _WEIGHT_COMPLAINT, True
            )
        if reask is not None:
            reasks.append(reask)
        new = [GivenFact(f, step.turn.index, "conversation", step.turn.text) for f in step.facts]
        given.extend(new)
        known.extend(new)
    if isinstance(last, _AgentStep) and last.asked:
        earlier = [g for g in known if g.fact.kind in last.asked]
        if earlier:
            strongest = max(earlier, key=lambda g: SPECIFICITY[g.fact.kind])
            reasks.append(
                ReAsk(
                    last.turn.index,
                    last.question,
                    tuple(sorted(last.asked)),
                    strongest,
                    None,
                    _WEIGHT_UNANSWERED * SPECIFICITY[strongest.fact.kind],
                    False,
                )
            )
    TRANSCRIPT_CACHE.put(turns, tuple((g.fact, g.turn, g.said) for g in given))
    return ConversationAnalysis(
        turns=turns,
        context_facts=tuple(earlier_facts),
        given=tuple(given),
        reasks=tuple(reasks),
        carryovers=tuple(carryovers),
        repeated_agent_turns=tuple(repeated),
        events=tuple(events),
        customer_cues=tuple(c_cues),
        agent_cues=tuple(a_cues),
    )
