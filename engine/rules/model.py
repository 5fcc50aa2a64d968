"""The neutral rule representation shared by every backend.

A :class:`RulePack` is plain data: named rules, each a conjunction of tests on the fields of one
*prepared* fact, and the :class:`Outcome` it yields. Backends (durable-rules, the built-in
evaluator) only answer "which rules match this fact"; turning matches into :class:`Decision`
objects is done here, once, so both backends produce identical decisions by construction.

Facts
    A prepared fact is a flat mapping whose fields are declared by the pack
    (``RulePack.fields``: name → :data:`FieldKind`). :meth:`RulePack.project` keeps the declared
    fields, checks their types and drops empty values (``None``, ``""``, empty lists), so that
    *present* simply means "the key is there". Types never mix: durable-rules compares loosely
    (it finds ``"1" == 1``, ``"" == 1`` and ``"true" == True``), so a condition's value must have
    the kind of its field; that is checked when the pack is built. Numbers are integers of at
    most 2**53 in magnitude (exact as doubles): durable-rules cannot read the exponent notation
    (``1e-05``) that Python's ``json`` writes for some floats, so there is no float kind — a
    preparer turns a float it needs to keep (a coordinate) into a string.

Operators (``Condition.op``)
    ``eq`` / ``ne``   equal / not equal; ``ne`` also holds when the field is absent.
    ``in``            equal to one of a non-empty tuple of values.
    ``present``       the field is present (non-empty); ``absent`` its negation.
    ``matches``       the whole string matches a regular expression (full-match, as
                      :func:`re.fullmatch`). Only the dialect both backends agree on is accepted:
                      literals, ``.``, classes ``[a-z]`` / ``[^0-9]``, groups with ``|``, and the
                      quantifiers ``* + ? {n} {n,} {n,m}``. No backslash escapes, anchors or
                      ``(?...)``: write ``[.]`` for a literal dot (durable-rules ignores ``\\.``
                      and ``\\d`` and treats ``^``/``$`` as literals).
    ``lt`` ``le`` ``gt`` ``ge``  comparisons of integers (fields of kind ``int``).
    ``contains``      a ``strs`` field (list of strings) contains the value.
    A condition on an absent field is false, except ``absent`` and ``ne``.
    :class:`AnyOf` is a disjunction of conditions; ``Rule.when`` is a conjunction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from .errors import FactError

FieldKind = Literal["str", "int", "bool", "strs"]
FIELD_KINDS: frozenset[str] = frozenset({"str", "int", "bool", "strs"})
MAX_INT = 2**53  # integers beyond are not exact as doubles, which durable-rules compares

OPS: frozenset[str] = frozenset(
    {"eq", "ne", "in", "present", "absent", "matches", "lt", "le", "gt", "ge", "contains"}
)
_COMPARISONS = frozenset({"lt", "le", "gt", "ge"})
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*")
_RESERVED_FIELDS = frozenset({"sid", "id"})  # durable-rules owns these keys of a message
MAX_FIELDS = 200  # durable-rules refuses a message of more than ~250 properties (error 302)


def check_portable_regex(pattern: str) -> str:
    """Return ``pattern`` if both backends read it the same way, else raise ``ValueError``."""
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("a 'matches' pattern must be a non-empty string")
    problems = []
    if "\\" in pattern:
        problems.append("backslash escapes (write [.] or [0-9] instead)")
    if "$" in pattern:
        problems.append("'$' (matching is always whole-string)")
    if "(?" in pattern:
        problems.append("'(?...)' groups")
    if re.search(r"(?<!\[)\^", pattern):
        problems.append("'^' outside '[^...]' (matching is always whole-string)")
    if problems:
        raise ValueError(f"pattern {pattern!r} is not portable: no {'; no '.join(problems)}")
    re.compile(pattern)
    return pattern


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT


def _check_scalar(value: object, what: str) -> None:
    if isinstance(value, str):
        if not value:
            raise ValueError(f"{what}: empty strings never occur in a prepared fact")
    elif isinstance(value, int) and not isinstance(value, bool):
        if not _is_int(value):
            raise ValueError(f"{what}: {value!r} is larger than 2**53")
    elif not isinstance(value, bool):
        raise ValueError(f"{what}: {value!r} is not a string, integer or boolean")


@dataclass(frozen=True)
class Condition:
    """One test on one field of a prepared fact (see the module docstring for the operators)."""

    field: str
    op: str
    value: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.field, str) or not _FIELD_NAME.fullmatch(self.field):
            raise ValueError(f"field name {self.field!r} must match [a-z][a-z0-9_]*")
        if self.field in _RESERVED_FIELDS:
            raise ValueError(f"field name {self.field!r} is reserved")
        if self.op not in OPS:
            raise ValueError(f"unknown operator {self.op!r}; use one of {sorted(OPS)}")
        what = f"condition {self.field} {self.op}"
        if self.op in ("present", "absent"):
            if self.value is not None:
                raise ValueError(f"{what}: takes no value")
        elif self.op == "in":
            if isinstance(self.value, (str, bytes)) or not isinstance(self.value, Iterable):
                raise ValueError(f"{what}: needs a tuple of values")
            values = tuple(self.value)
            if not values:
                raise ValueError(f"{what}: needs at least one value")
            for v in values:
                _check_scalar(v, what)
            object.__setattr__(self, "value", values)
        elif self.op == "matches":
            check_portable_regex(self.value)
        elif self.op in _COMPARISONS:
            if not _is_int(self.value):
                raise ValueError(f"{what}: needs an integer (at most 2**53 in magnitude)")
        elif self.op == "contains":
            if not isinstance(self.value, str) or not self.value:
                raise ValueError(f"{what}: needs a non-empty string")
        else:  # eq, ne
            _check_scalar(self.value, what)

    def fits(self, kind: str) -> bool:
        """Whether this condition can be applied to a field of ``kind``."""
        if self.op in ("present", "absent"):
            return True
        if self.op == "matches":
            return kind == "str"
        if self.op in _COMPARISONS:
            return kind == "int"
        if self.op == "contains":
            return kind == "strs"
        values = self.value if self.op == "in" else (self.value,)
        return all(_value_fits(v, kind) for v in values)


def _value_fits(value: object, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return _is_int(value)
    return False


@dataclass(frozen=True)
class AnyOf:
    """A disjunction: at least one of ``options`` holds."""

    options: tuple[Condition, ...]

    def __post_init__(self) -> None:
        options = tuple(self.options)
        if not options or not all(isinstance(o, Condition) for o in options):
            raise ValueError("AnyOf needs at least one Condition")
        object.__setattr__(self, "options", options)


Test = Condition | AnyOf


def freeze(value: Any) -> Any:
    """A read-only copy of a JSON-like value (dicts become mapping proxies, lists tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The plain ``dict``/``list`` form of a frozen value, for JSON."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Outcome:
    """What a rule yields when it matches: a decision ``kind`` and its ``value``.

    ``from_fact`` copies fields of the matching fact into the value (output key → fact field),
    e.g. the routing rule of an area-committee route copies the committee resolved for the
    report's area; an absent field is copied as ``None``.
    """

    kind: str
    value: Mapping[str, Any] = field(default_factory=dict)
    from_fact: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.kind:
            raise ValueError("an outcome needs a kind")
        object.__setattr__(self, "value", freeze(dict(self.value)))
        object.__setattr__(self, "from_fact", MappingProxyType(dict(self.from_fact)))

    def render(self, fact: Mapping[str, Any]) -> Mapping[str, Any]:
        if not self.from_fact:
            return self.value
        value = dict(self.value)
        for key, name in self.from_fact.items():
            value[key] = freeze(fact.get(name))
        return MappingProxyType(value)


@dataclass(frozen=True)
class Rule:
    """A named rule: when every test of ``when`` holds, it yields ``then``.

    Among decisions, a higher ``priority`` comes first, then a higher ``specificity`` (how
    narrowly the rule is scoped, e.g. a route limited to some areas), then the rule id.
    """

    id: str
    when: tuple[Test, ...]
    then: Outcome
    priority: int = 0
    specificity: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("a rule needs a non-empty id")
        when = tuple(self.when)
        if not all(isinstance(t, (Condition, AnyOf)) for t in when):
            raise ValueError(f"rule {self.id}: 'when' must hold Condition or AnyOf tests")
        object.__setattr__(self, "when", when)

    def conditions(self) -> Iterable[Condition]:
        for test in self.when:
            if isinstance(test, AnyOf):
                yield from test.options
            else:
                yield test


@dataclass(frozen=True)
class Decision:
    """One conclusion of a pack, naming the rule that produced it (so routing is explainable)."""

    pack: str
    rule: str
    kind: str
    value: Mapping[str, Any]
    priority: int = 0
    specificity: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.value, MappingProxyType):
            object.__setattr__(self, "value", freeze(self.value))

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (-self.priority, -self.specificity, self.rule)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "rule": self.rule,
            "kind": self.kind,
            "value": thaw(self.value),
            "priority": self.priority,
            "specificity": self.specificity,
        }


def sort_decisions(decisions: Iterable[Decision]) -> list[Decision]:
    """Priority descending, then specificity descending, then rule id (deterministic)."""
    return sorted(decisions, key=lambda d: d.sort_key)


@dataclass(frozen=True)
class RulePack:
    """A versioned set of rules over facts of one shape (``fields``)."""

    name: str
    version: str
    fields: Mapping[str, str]
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        object.__setattr__(self, "rules", tuple(self.rules))
        if len(self.fields) > MAX_FIELDS:
            raise ValueError(f"pack {self.name}: more than {MAX_FIELDS} fields")
        for name, kind in self.fields.items():
            if kind not in FIELD_KINDS:
                raise ValueError(f"pack {self.name}: field {name} has unknown kind {kind!r}")
            Condition(name, "present")  # validates the name
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"pack {self.name}: duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            for cond in rule.conditions():
                kind = self.fields.get(cond.field)
                if kind is None:
                    raise ValueError(f"rule {rule.id}: field {cond.field!r} is not declared")
                if not cond.fits(kind):
                    raise ValueError(
                        f"rule {rule.id}: {cond.op} {cond.value!r} does not fit "
                        f"{cond.field} of kind {kind}"
                    )
            for name in rule.then.from_fact.values():
                if name not in self.fields:
                    raise ValueError(f"rule {rule.id}: copies undeclared field {name!r}")
        object.__setattr__(self, "_by_id", MappingProxyType({r.id: r for r in self.rules}))

    def rule(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]  # type: ignore[attr-defined]

    def project(self, fact: Mapping[str, Any]) -> dict[str, Any]:
        """The declared, non-empty, type-checked fields of ``fact`` (what backends see)."""
        out: dict[str, Any] = {}
        for name, kind in self.fields.items():
            value = fact.get(name)
            if value is None or value == "":
                continue
            if kind == "strs":
                if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                    raise FactError(f"{self.name}: field {name} must be a list of strings")
                items = [v for v in value if v != ""]
                if not all(isinstance(v, str) for v in items):
                    raise FactError(f"{self.name}: field {name} must be a list of strings")
                if items:
                    out[name] = items
                continue
            if not _value_fits(value, kind):
                raise FactError(f"{self.name}: field {name} must be of kind {kind}, not {value!r}")
            out[name] = value
        return out

    def decisions(self, fired: Iterable[str], fact: Mapping[str, Any]) -> list[Decision]:
        """The decisions of the rules ``fired`` (ids, duplicates ignored), sorted."""
        out = []
        for rule_id in set(fired):
            rule = self.rule(rule_id)
            out.append(
                Decision(
                    pack=self.name,
                    rule=rule.id,
                    kind=rule.then.kind,
                    value=rule.then.render(fact),
                    priority=rule.priority,
                    specificity=rule.specificity,
                )
            )
        return sort_decisions(out)
