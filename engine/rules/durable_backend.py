"""Compiles a :class:`RulePack` to a durable-rules ruleset — the only module importing durable.

What durable-rules 2.0.28 does, measured, and how this module deals with it:

* Each evaluation asserts the fact as a *fact* (not an event: an event is consumed by the first
  rule that matches, so other matching rules would never fire) under a fresh state id (``sid``)
  and deletes that state afterwards — a ruleset holds at most 1023 live states (then every
  assert raises ``MemoryError``), and a state is created even when no rule matches.
* Deleting a state is only safe once an action has run on it. A state whose fact matched no rule
  is deleted from a node with uninitialised fields (valgrind: "conditional jump depends on
  uninitialised value" in ``deleteStateNode``), which ends in "free(): invalid pointer" or a
  segfault a few calls later, depending on the heap; a state whose actions were not started
  crashes at once. So every compiled ruleset has one extra catch-all rule (its action does
  nothing), every fact therefore has an action, the actions are always run to completion
  (``do_actions``) and only then is the state deleted. If that cannot be guaranteed (an
  unexpected error in the middle) the state is left alone and counted, and the ruleset is
  rebuilt once too many states have been left behind. (Valgrind is clean on this scheme.)
* ``Host()`` is not used at all. A Host starts two timer threads that never stop and that call
  into the C engine on every registered ruleset, outside any lock of ours. Worse, its dispatch
  thread takes pending actions for itself: with a ruleset registered in a Host, 7 of 491,385
  synchronous ``assert_fact`` + ``do_actions`` calls had their action run on the timer thread
  and came back with no result. We build ``durable.engine.Ruleset`` objects directly (a Host is
  only needed to post to *other* rulesets from an action, which ours never do), so the module
  starts no thread, and every call into the C engine happens under one process-wide lock (the
  engine is not thread-safe; its rulesets live in shared C tables).
* Actions run synchronously in the calling thread, inside ``do_actions``. An action callable
  must take exactly ONE parameter: with two (even a defaulted one) durable-rules treats it as
  asynchronous and waits for a callback that never comes. Our action only records the rule id in
  a per-ruleset sink (safe: the lock is held for the whole evaluation).
* An exception raised by an action is swallowed into the state (``state["exception"]``); it is
  detected here and raised as :class:`RuleActionError`.
* Every ``$or`` is expanded into separate paths, so a rule whose alternatives match several ways
  fires several times: firings are collected as a set.
* ``$neq`` does not hold for an absent field (``ne`` is compiled as "absent or not equal"), and
  every rule also carries ``$nex: {$s: 1}``: without it a rule testing an absent field matches the
  state document that ``do_actions`` writes back, and fires again, forever.
* Comparisons are loosely typed (``"1" == 1``, ``"" == 1``, ``"true" == True``), hence the typed
  fields of :class:`RulePack`; regular expressions are a small dialect (no ``\\d``, no escapes,
  whole-string), hence :func:`~engine.rules.model.check_portable_regex`; more than ~250
  properties in a message is refused (error 302).
* Ruleset names: the Host refuses a name twice; without a Host the name is only a label, but we
  still give each compiled ruleset a new versioned name. ``close()`` frees the C ruleset with
  ``durable_rules_engine.delete_ruleset`` (which the Python layer never calls).
* ``durable.engine`` measures action durations with ``datetime.utcfromtimestamp`` on the local
  wall clock: deprecated on Python 3.12 (a warning per action) and wrong across clock jumps. It
  is replaced by ``time.monotonic`` (see the import below).
* The PyPI release does not import on Python 3.13+ (``undefined symbol: PyEval_CallObject``):
  :func:`available` is then false and :func:`unavailable_reason` says why.
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from collections.abc import Mapping
from typing import Any

from .errors import RuleActionError, RulesError, StalePackError
from .model import AnyOf, Condition, RulePack, Test

try:
    import durable_rules_engine as _c
    from durable import engine as _engine
except Exception as exc:  # ImportError; on Python 3.13+ the 2.0.28 release fails to import
    _c = None
    _engine = None
    _IMPORT_ERROR: str | None = f"{type(exc).__name__}: {exc}"
else:
    _IMPORT_ERROR = None
    if callable(getattr(_engine, "_unix_now", None)):
        # durable.engine times actions with local wall-clock time built on
        # datetime.utcfromtimestamp (deprecated in Python 3.12: one DeprecationWarning per
        # action), and silently drops an action's completion when it seems to have taken more
        # than 10 s — which a wall-clock jump also causes. Only differences of this clock are
        # used, so the monotonic clock is the right one (and 10× cheaper).
        _engine._unix_now = time.monotonic

#: Serialises every call into the C engine, process-wide. Re-entrant so that a finaliser run by
#: the garbage collector while this thread holds it can still drop a ruleset.
LOCK = threading.RLock()

#: States left undeleted (see the module docstring) before a ruleset is rebuilt.
MAX_LEFT_STATES = 64

_GUARD = {"$nex": {"$s": 1}}
_COMPARE = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_names = itertools.count(1)


def available() -> bool:
    return _engine is not None


def unavailable_reason() -> str | None:
    return _IMPORT_ERROR


def version() -> str | None:
    if not available():
        return None
    from importlib import metadata

    try:
        return metadata.version("durable-rules")
    except metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- compilation


def compile_condition(cond: Condition) -> dict[str, Any]:
    """The durable-rules expression of one condition."""
    name, value, op = cond.field, cond.value, cond.op
    if op == "eq":
        return {name: value}
    if op == "ne":
        return {"$or": [{"$nex": {name: 1}}, {"$neq": {name: value}}]}
    if op == "in":
        options = [{name: v} for v in value]
        return options[0] if len(options) == 1 else {"$or": options}
    if op == "present":
        return {"$ex": {name: 1}}
    if op == "absent":
        return {"$nex": {name: 1}}
    if op == "matches":
        return {"$mt": {name: value}}
    if op == "contains":
        return {"$iany": {name: {"$i": value}}}
    return {_COMPARE[op]: {name: value}}


def compile_test(test: Test) -> dict[str, Any]:
    if isinstance(test, AnyOf):
        return {"$or": [compile_condition(c) for c in test.options]}
    return compile_condition(test)


def rule_expression(when: tuple[Test, ...]) -> dict[str, Any]:
    """The ``m`` expression of a rule: the guard and every test, all required."""
    return {"$and": [_GUARD, *(compile_test(t) for t in when)]}


class _Sink:
    """Collects the ids of the rules fired during one evaluation."""

    def __init__(self) -> None:
        self.fired: list[str] = []

    def record(self, rule_id: str) -> None:
        self.fired.append(rule_id)


class _NoHost:
    """Stands in for ``durable.engine.Host``, which would start timer threads (see above)."""

    def get_action(self, action_name: str) -> Any:
        raise RulesError(f"durable-rules asked for a named action {action_name!r}")


_NO_HOST = _NoHost()


def _action(sink: _Sink, rule_id: str) -> Any:
    def action(c: Any) -> None:  # exactly one parameter: two would make it asynchronous
        sink.record(rule_id)

    return action


def _noop(c: Any) -> None:
    """The action of the catch-all rule: none (one parameter, so synchronous)."""


def _build(pack: RulePack, sink: _Sink) -> Any:
    definition = {
        f"r{i}": {"all": [{"m": rule_expression(rule.when)}], "run": _action(sink, rule.id)}
        for i, rule in enumerate(pack.rules)
    }
    # Makes every fact match something, so that its state can be deleted safely (see above).
    definition["catch_all"] = {"all": [{"m": rule_expression(())}], "run": _noop}
    name = f"phananh.{pack.name}.{pack.version}.{next(_names)}"
    with LOCK:
        return _engine.Ruleset(name, _NO_HOST, definition)


def _drop(box: list[Any]) -> None:
    """Free the C ruleset held in ``box`` (idempotent)."""
    with LOCK:
        if box:
            ruleset = box.pop()
            _c.delete_ruleset(ruleset._handle)


# --------------------------------------------------------------------------- evaluation


class DurableCompiledPack:
    """One pack compiled to a durable-rules ruleset."""

    def __init__(self, pack: RulePack) -> None:
        if not available():
            raise RulesError(f"durable-rules cannot be used here: {_IMPORT_ERROR}")
        self.pack = pack
        self._sink = _Sink()
        self._evaluations = 0
        self._left_states: list[str] = []
        self._box: list[Any] = [_build(pack, self._sink)]
        # Frees the C ruleset when this object is collected without close(). The box, not self,
        # is referenced, so the finaliser does not keep the object alive.
        self._finalizer = weakref.finalize(self, _drop, self._box)

    @property
    def ruleset_name(self) -> str:
        return self._ruleset()._name if self._box else ""

    @property
    def closed(self) -> bool:
        return not self._box

    @property
    def evaluations(self) -> int:
        """How many state ids were used so far (one per evaluation; sid = that number)."""
        return self._evaluations

    @property
    def left_states(self) -> tuple[str, ...]:
        """State ids that could not be deleted safely (normally empty)."""
        return tuple(self._left_states)

    def _ruleset(self) -> Any:
        return self._box[0]

    def state_exists(self, sid: str) -> bool:
        """Whether durable-rules still holds the state ``sid`` (for tests and diagnostics)."""
        with LOCK:
            if not self._box:
                return False
            try:
                self._ruleset().get_state(sid)
            except Exception:
                return False
            return True

    def fire(self, fact: Mapping[str, Any]) -> frozenset[str]:
        with LOCK:
            if not self._box:
                raise StalePackError(f"pack {self.pack.name} {self.pack.version} was closed")
            ruleset = self._ruleset()
            self._evaluations += 1
            sid = str(self._evaluations)
            message = dict(fact)
            message["sid"] = sid
            sink = self._sink
            sink.fired = []
            try:
                handle = ruleset.assert_fact(message)
            except Exception as exc:
                # Not "no rule matched": the catch-all rule always matches. Leave the state
                # alone (see the module docstring) and report.
                self._leave_state(sid)
                raise RulesError(f"durable-rules refused the fact: {exc}") from exc
            done: list[tuple[Any, Any]] = []
            ruleset.do_actions(handle, lambda e, state: done.append((e, state)))
            if not done or done[-1][0]:
                # The actions may not all have run: deleting the state could crash the engine.
                self._leave_state(sid)
                cause = done[-1][0] if done else "the actions did not complete"
                raise RuleActionError(f"durable-rules could not run the actions: {cause}")
            error = (done[-1][1] or {}).get("exception")
            ruleset.delete_state(sid)
            if error:
                raise RuleActionError(f"an action of pack {self.pack.name} failed: {error}")
            return frozenset(sink.fired)

    def _leave_state(self, sid: str) -> None:
        self._left_states.append(sid)
        if len(self._left_states) >= MAX_LEFT_STATES:
            fresh = _build(self.pack, self._sink)
            _drop(self._box)
            self._box.append(fresh)
            self._left_states.clear()

    def close(self) -> None:
        """Free the C ruleset; later ``fire`` calls raise :class:`StalePackError`."""
        self._finalizer()


class DurableBackend:
    name = "durable"

    def compile(self, pack: RulePack) -> DurableCompiledPack:
        return DurableCompiledPack(pack)
