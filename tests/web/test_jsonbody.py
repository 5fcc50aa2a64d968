"""The nesting of a JSON text is measured as the parser would meet it, strings and escapes aside."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from web import jsonbody
from web.jsonbody import too_deep

#: Strings full of what would be structure outside a string.
TRICKY = st.text(alphabet='[]{}"\\ab', max_size=8)
VALUES = st.recursive(
    st.none() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=30,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(VALUES, st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=5))
def test_the_measured_depth_is_the_real_one(value: Any, limit: int, chunk: int) -> None:
    """Whatever the strings hold and wherever a chunk of the scan ends (an escape is never cut)."""
    text = json.dumps(value)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonbody, "_CHUNK", chunk)
        assert too_deep(text, limit) == (depth(value) > limit)
        assert too_deep(text.encode(), limit) == (depth(value) > limit)
