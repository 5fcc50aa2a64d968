"""The figures' median and 90th percentile are the nearest rank (the value at rank ⌈p·n⌉ of the
sorted minutes), computed from how many clocks used each number of minutes: the same value as
ranking every clock, whatever the order and the repeats.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from engine.stats.compute import _nearest_rank


def ranked(values: list[int], percent: int) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(percent / 100 * len(ordered)) - 1]


@pytest.mark.parametrize("seed", range(40))
def test_counts_give_the_value_at_the_nearest_rank(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.choice([0, 5, 30, 480, 481, 2400]) for _ in range(rng.randint(1, 60))]
    counts = list(Counter(values).items())
    rng.shuffle(counts)
    for percent in (50, 90):
        assert _nearest_rank(counts, percent) == ranked(values, percent)


def test_an_even_count_takes_the_lower_middle_and_one_clock_is_its_own_median() -> None:
    assert _nearest_rank([(10, 1), (20, 1)], 50) == 10
    assert _nearest_rank([(20, 1), (10, 1)], 90) == 20
    assert _nearest_rank([(7, 1)], 50) == _nearest_rank([(7, 1)], 90) == 7
