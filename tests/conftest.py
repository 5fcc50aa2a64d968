"""Project-wide pytest configuration."""

from __future__ import annotations


def pytest_report_header(config):
    """Say which rules backends this run can use, e.g. ``durable-rules 2.0.28 (durable), builtin``."""
    from engine.rules import available_backends
    from engine.rules.durable_backend import unavailable_reason

    names = [
        name if description == name else f"{description} ({name})"
        for name, description in available_backends().items()
    ]
    line = f"rules backends: {', '.join(names)}"
    if unavailable_reason():
        line += f" — durable-rules unavailable: {unavailable_reason()}"
    return line
