"""The template sandbox bounds what an administrator's template may cost (issue #12, item 9).

An operator_admin edits the templates; the preview and the worker render them. Without bounds
``{{ ('x'*20000000)|length }}`` rendered and nested loops could hold a preview or the worker for
hours. Each test gives the render a settable clock, so the time limit is reached by counting
steps, never by waiting.
"""

from __future__ import annotations

import itertools

import pytest

from engine import templates
from engine.config.errors import ConfigInvalid
from engine.config.loader import config_files, load_files
from engine.sandbox import MAX_RANGE, MAX_SIZE, Limits, TemplateLimitError
from tests.engine.test_config_loader import DEFAULT

NESTED = "{% for a in range(10000) %}{% for b in range(10000) %}{{ '' }}{% endfor %}{% endfor %}"


def ticking(seconds: float = 5.0) -> Limits:
    """Limits whose clock moves one second each time it is read."""
    return Limits(seconds=seconds, clock=itertools.count().__next__)


def refused(source: str, context: dict[str, object] | None = None) -> TemplateLimitError:
    with pytest.raises(TemplateLimitError) as caught:
        templates.render(source, context or {}, Limits(seconds=3600))
    return caught.value


@pytest.mark.parametrize(
    "source",
    [
        "{{ ('x' * 20000000)|length }}",
        "{{ ([1] * 20000000)|length }}",
        "{{ 'x'.ljust(20000000)|length }}",
        "{{ 'x'|center(20000000) }}",
        "{{ '%20000000s' % 'x' }}",
        "{{ '{:>20000000}'.format('x') }}",
        "{{ 'aaaa'|replace('a', 'b' * 600000) }}",
        "{{ 9 ** 99999 }}",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}",
        "{% set s = 'x' * 900000 %}{{ [s, s, s]|length }}",
        "{% set s = 'x' * 900000 %}{{ s }}{{ s }}",
        "{% macro twice(s) %}{{ s }}{{ s }}{% endmacro %}{% set s = 'x' * 600000 %}"
        "{{ twice(s)|length }}",
    ],
)
def test_growing_a_value_beyond_the_limit_is_refused_before_it_is_made(source: str) -> None:
    error = refused(source)
    assert "giới hạn" in error.message_vi or "quá" in error.message_vi


def test_range_is_bounded() -> None:
    assert templates.render(f"{{{{ range({MAX_RANGE})|length }}}}", {}) == str(MAX_RANGE)
    assert "range()" in refused(f"{{{{ range({MAX_RANGE + 1})|length }}}}").message_vi


def test_nested_loops_stop_at_the_time_limit_with_a_clear_error() -> None:
    with pytest.raises(TemplateLimitError) as caught:
        templates.render(NESTED, {}, ticking(seconds=50))
    assert caught.value.message_vi.startswith("mẫu chạy quá 50 giây")


def test_recursive_macros_stop_at_the_time_limit_too() -> None:
    source = "{% macro f(n) %}{{ f(n) if n < 8 }}{{ f(n + 1) if n < 12 }}{% endmacro %}{{ f(0) }}"
    with pytest.raises(TemplateLimitError):
        templates.render(source, {}, ticking(seconds=50))


def test_ordinary_templates_render_as_before() -> None:
    source = (
        "{% for f in tep_dinh_kem %}{{ loop.index }}/{{ loop.length }} {{ f }}{% endfor %}|"
        "{{ co_quan_xu_ly ~ '!' }}|{{ [1, 2]|join(', ') }}|{{ '%-3s|' % 'a' }}"
        "{{ '{:>4}'.format(7) }}|{{ 'ab' * 2 }}|{{ {'a': 1}['a'] }}|{% set a, b = 1, 2 %}{{ a + b }}"
    )
    text = templates.render(source, templates.SAMPLE_CONTEXT, ticking(seconds=1000))
    assert text == "1/1 bien-ban-nghiem-thu.pdf|Sở Xây dựng!|1, 2|a  |   7|abab|1|3"
    assert len(templates.render(f"{{{{ 'x' * {MAX_SIZE} }}}}", {})) == MAX_SIZE


def test_the_output_is_capped() -> None:
    with pytest.raises(TemplateLimitError) as caught:
        templates.render("{{ 'x' * 600 }}{{ 'y' * 600 }}", {}, Limits(output=1000))
    assert "1000 ký tự" in caught.value.message_vi


def test_a_costly_template_is_a_file_line_error_of_the_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(templates, "LIMITS", ticking(seconds=50))
    files = config_files(DEFAULT)
    files["templates/ket-qua.txt.j2"] = "Kính gửi {{ ten_nguoi_phan_anh }}\n" + NESTED + "\n"
    with pytest.raises(ConfigInvalid) as caught:
        load_files(files)
    (error,) = caught.value.errors
    assert (error.file, error.line) == ("templates/ket-qua.txt.j2", 2)
    assert "mẫu vượt giới hạn cho phép: mẫu chạy quá 50 giây" in error.message_vi
