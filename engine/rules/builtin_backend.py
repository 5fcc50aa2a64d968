"""A small pure-Python evaluator of a :class:`RulePack`, with the semantics of the model.

Each condition is compiled once into a predicate. Rules whose ``when`` holds a top-level ``eq``
test are indexed by that field and value (routing rules by sector, for instance), and rules whose
``when`` holds a top-level ``contains`` test of a list field by the item it asks for (the
sector-suggestion rules by keyword), so a fact is only checked against the rules that can match
it. Stateless and immutable once compiled, hence
safe to share between threads.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from .model import AnyOf, Condition, Rule, RulePack, Test

Predicate = Callable[[Mapping[str, Any]], bool]

_COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


def _condition(cond: Condition) -> Predicate:
    name, value, op = cond.field, cond.value, cond.op
    if op == "eq":
        return lambda fact: fact.get(name) == value
    if op == "ne":
        return lambda fact: fact.get(name) != value
    if op == "in":
        values = frozenset(value)
        return lambda fact: name in fact and fact[name] in values
    if op == "present":
        return lambda fact: name in fact
    if op == "absent":
        return lambda fact: name not in fact
    if op == "matches":
        match = re.compile(value).fullmatch
        return lambda fact: name in fact and match(fact[name]) is not None
    if op == "contains":
        return lambda fact: value in fact.get(name, ())
    compare = _COMPARE[op]
    return lambda fact: name in fact and compare(fact[name], value)


def _test(test: Test) -> Predicate:
    if isinstance(test, AnyOf):
        options = tuple(_condition(c) for c in test.options)
        return lambda fact: any(p(fact) for p in options)
    return _condition(test)


class _Compiled:
    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        # field -> value -> [(rule id, remaining predicates)]
        self._indexed: dict[str, dict[Any, list[tuple[str, tuple[Predicate, ...]]]]] = {}
        # list field -> item -> [(rule id, remaining predicates)], for "contains" tests
        self._contained: dict[str, dict[Any, list[tuple[str, tuple[Predicate, ...]]]]] = {}
        self._scanned: list[tuple[str, tuple[Predicate, ...]]] = []
        lists = {name for name, kind in pack.fields.items() if kind == "strs"}
        for rule in pack.rules:
            key, rest = _split_key(rule, lists)
            entry = (rule.id, tuple(_test(t) for t in rest))
            if key is None:
                self._scanned.append(entry)
            else:
                index = self._indexed if key.op == "eq" else self._contained
                index.setdefault(key.field, {}).setdefault(key.value, []).append(entry)

    def fire(self, fact: Mapping[str, Any]) -> frozenset[str]:
        fired = [
            rule_id for rule_id, predicates in self._scanned if all(p(fact) for p in predicates)
        ]
        for name, table in self._indexed.items():
            if name in fact:
                for rule_id, predicates in table.get(fact[name], ()):
                    if all(p(fact) for p in predicates):
                        fired.append(rule_id)
        for name, table in self._contained.items():
            for item in fact.get(name, ()):
                for rule_id, predicates in table.get(item, ()):
                    if all(p(fact) for p in predicates):
                        fired.append(rule_id)
        return frozenset(fired)

    def close(self) -> None:
        """Nothing to release."""


def _split_key(rule: Rule, lists: set[str]) -> tuple[Condition | None, tuple[Test, ...]]:
    """The test a rule is indexed by (an ``eq`` test first, else a ``contains`` test of a list
    field among ``lists``), and the tests left to check."""
    for ops in (("eq",), ("contains",)):
        for i, test in enumerate(rule.when):
            if isinstance(test, Condition) and test.op in ops:
                if test.op == "contains" and test.field not in lists:
                    continue
                return test, rule.when[:i] + rule.when[i + 1 :]
    return None, rule.when


class BuiltinBackend:
    name = "builtin"

    def compile(self, pack: RulePack) -> _Compiled:
        return _Compiled(pack)
