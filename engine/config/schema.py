"""JSON Schema validation of each configuration file, with messages an administrator can act on."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from engine.config.errors import ConfigError, format_path
from engine.config.source import Source

SCHEMA_FILES = ("sectors", "areas", "sla")
#: Files a configuration may leave out; built-in defaults apply.
OPTIONAL_FILES = ("portal", "notify", "periodic")


@cache
def _registry() -> Registry:
    resources_ = []
    for name in SCHEMA_FILES + OPTIONAL_FILES:
        schema = _load(name)
        resources_.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources_)


@cache
def _load(name: str) -> dict[str, Any]:
    text = (
        resources.files("engine.config").joinpath(f"schemas/{name}.schema.json").read_text("utf-8")
    )
    return json.loads(text)


@cache
def validator(name: str) -> Draft202012Validator:
    """The validator for ``<name>.yaml``; schemas refer to each other through the registry."""
    return Draft202012Validator(_load(name), registry=_registry(), format_checker=FormatChecker())


def validate(name: str, source: Source) -> list[ConfigError]:
    """Every schema error in ``source`` (all of them, deepest first where they nest)."""
    errors = []
    for error in validator(name).iter_errors(source.data):
        for leaf in _leaves(error):
            path = list(leaf.absolute_path)
            vi, en = _messages(leaf)
            errors.append(ConfigError(source.file, source.line_of(path), format_path(path), vi, en))
    return sorted(set(errors))


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For ``oneOf``/``anyOf`` failures, report the most specific sub-errors, not the summary."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = max(len(e.absolute_path) for e in error.context)
        deepest = [e for e in error.context if len(e.absolute_path) == best]
        if best > len(error.absolute_path):
            return deepest
    return [error]


def _messages(error: ValidationError) -> tuple[str, str]:
    v, val, inst = error.validator, error.validator_value, error.instance
    en = error.message
    if v == "required":
        missing = [k for k in val if isinstance(inst, dict) and k not in inst]
        names = ", ".join(f"'{k}'" for k in missing)
        return f"thiếu trường bắt buộc {names}", f"missing required field {names}"
    if v == "additionalProperties":
        extra = (
            sorted(set(inst) - set(error.schema.get("properties", {})))
            if isinstance(inst, dict)
            else []
        )
        names = ", ".join(f"'{k}'" for k in extra)
        return (
            f"trường không được phép {names} (kiểm tra chính tả)",
            f"field(s) not allowed: {names} (check the spelling)",
        )
    if v == "type":
        return f"giá trị {inst!r} phải có kiểu {val}", f"value {inst!r} must be of type {val}"
    if v == "enum":
        options = ", ".join(map(str, val))
        return f"giá trị {inst!r} không hợp lệ; chọn một trong: {options}", en
    if v == "pattern":
        return f"giá trị {inst!r} không đúng định dạng (mẫu {val})", en
    if v == "format":
        return f"giá trị {inst!r} không phải {val} hợp lệ (ví dụ 2025-07-01)", en
    if v == "const":
        return f"giá trị phải là {val!r}", en
    if v == "dependentRequired":
        missing = [
            f"'{need}'"
            for key, needs in val.items()
            if isinstance(inst, dict) and key in inst
            for need in needs
            if need not in inst
        ]
        names = ", ".join(missing)
        return (
            f"thiếu trường {names} đi kèm (ví dụ webhook_url cần webhook_secret_env)",
            f"missing the accompanying field(s) {names}",
        )
    if v in ("minItems", "minLength", "minProperties"):
        return "không được để trống", en
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"giá trị {inst!r} nằm ngoài giới hạn cho phép ({v} {val})", en
    if v == "oneOf":
        if "area_committee" in error.schema.get("properties", {}):
            return (
                "khai báo đúng một trong hai: 'agency: MÃ' hoặc 'area_committee: true'",
                "declare exactly one of 'agency: CODE' and 'area_committee: true'",
            )
        if error.context:
            return _messages(error.context[0])
    return f"không hợp lệ: {en}", en
