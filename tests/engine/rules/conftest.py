"""Fixtures of the rules tests: a small snapshot, and every backend that can run here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.config.snapshot import Snapshot
from engine.rules import RulesEngine, durable_backend

from .sample import make_snapshot

DURABLE_SKIP = pytest.mark.skipif(
    not durable_backend.available(),
    reason=f"durable-rules does not import here: {durable_backend.unavailable_reason()}",
)
BACKENDS = [pytest.param("durable", marks=DURABLE_SKIP, id="durable"), "builtin"]


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return make_snapshot()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def rules(snapshot: Snapshot, backend: str) -> Iterator[RulesEngine]:
    engine = RulesEngine(snapshot, backend=backend)
    yield engine
    engine.close()
