"""Jinja2's sandbox with bounds on what a template may cost: time, memory, output.

``ImmutableSandboxedEnvironment`` keeps an administrator's template away from Python internals,
but not from work: ``{{ ('x' * 20000000)|length }}`` allocates 20 MB and nested loops over
``range`` can hold a preview, or the worker, for hours. :class:`BoundedSandbox` adds:

- **Sizes.** No value a template makes may exceed :data:`MAX_SIZE` (characters, or items of a
  list, counted through nested lists and dicts): string and list multiplication, ``%`` and
  ``format`` widths, the string methods and filters that grow text (``center``, ``replace``,
  ``join``, ``indent``, ``wordwrap``, …) are refused *before* they allocate, and every other
  result, literal, ``~`` and ``+`` is measured after. ``range`` gives at most :data:`MAX_RANGE`
  numbers, a filter's numeric argument is at most :data:`MAX_RANGE`, integers at most
  :data:`MAX_INT_BITS` bits. ``lipsum`` is not offered.
- **Output.** The rendered text, and the text any block, macro or ``{% set %}`` collects, is at
  most :attr:`Limits.output` characters.
- **Time.** Every loop step, call, filter and operator checks the clock; past
  :attr:`Limits.seconds` the render stops with :class:`TemplateLimitError`. Loops are the only way
  a template repeats work (with recursion, which goes through calls), so no render outlives the
  limit by more than one bounded operation.

A limit reached is a :class:`TemplateLimitError` carrying a Vietnamese and an English message.
The bounds are per render (:func:`rendering`), so threads rendering side by side don't share them.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

#: Largest value (characters, or items) a template may make, and its default output.
MAX_SIZE = 1_000_000
#: Most numbers ``range`` gives, and largest number a filter takes (width, count, …).
MAX_RANGE = 10_000
MAX_INT_BITS = 4096
#: Longest a render may run, in seconds.
MAX_SECONDS = 2.0

#: The filters whose numbers are widths or counts (at most :data:`MAX_RANGE`).
_SIZE_ARGUMENTS = frozenset(
    {"batch", "center", "indent", "slice", "tojson", "truncate", "urlize", "wordwrap"}
)
_STEPS = "_phananh_steps"
_SIZED = "_phananh_sized"
_NUMBER = re.compile(r"\d+")


class TemplateLimitError(Exception):
    """A template asked for more than the sandbox gives; the messages say what, in Vietnamese
    first (``str()``) and English."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class Limits:
    """The bounds of one render; ``clock`` is settable so that tests need not wait."""

    seconds: float = MAX_SECONDS
    output: int = MAX_SIZE
    clock: Callable[[], float] = time.monotonic


class _Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = limits.clock() + limits.seconds

    def tick(self) -> None:
        if self.limits.clock() > self.deadline:
            seconds = f"{self.limits.seconds:g}"
            raise TemplateLimitError(
                f"mẫu chạy quá {seconds} giây nên đã bị dừng (vòng lặp quá lớn hoặc lồng nhau)",
                f"the template ran longer than {seconds} s and was stopped (a loop too large "
                "or nested too deep)",
            )


_budget: ContextVar[_Budget | None] = ContextVar("phananh_template_budget", default=None)


@contextmanager
def rendering(limits: Limits) -> Iterator[None]:
    """Apply ``limits`` to the renders made inside the block (in this thread or task)."""
    token = _budget.set(_Budget(limits))
    try:
        yield
    finally:
        _budget.reset(token)


def _tick() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.tick()


def _output_limit() -> int:
    budget = _budget.get()
    return budget.limits.output if budget is not None else MAX_SIZE


# -- sizes ---------------------------------------------------------------------------------------


def size(value: Any, limit: int = MAX_SIZE) -> int:
    """About how many characters ``value`` prints as: strings by length, containers by what they
    hold (each item counts at least 1). Stops counting once past ``limit``."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 1
        elif isinstance(item, bool) or item is None:
            total += 1
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, Mapping):
            total += 1 + len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 1 + len(item)
            stack.extend(item)
        else:
            total += 1
    return total


def _too_big(count: int, what_vi: str, what_en: str) -> TemplateLimitError:
    return TemplateLimitError(
        f"{what_vi} tạo giá trị dài khoảng {count} ký tự/phần tử, vượt giới hạn {MAX_SIZE}",
        f"{what_en} makes a value of about {count} characters/items, beyond the limit {MAX_SIZE}",
    )


def _ensure(count: int, what_vi: str, what_en: str) -> None:
    if count > MAX_SIZE:
        raise _too_big(count, what_vi, what_en)


def checked(value: Any) -> Any:
    """``value`` if it is within :data:`MAX_SIZE`."""
    if isinstance(value, str | bytes):
        _ensure(len(value), "biểu thức", "an expression")
    elif isinstance(value, list | tuple | dict | set | frozenset):
        _ensure(size(value), "biểu thức", "an expression")
    return value


def _number(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_RANGE:
        raise TemplateLimitError(
            f"{what} = {value} quá lớn (tối đa {MAX_RANGE})",
            f"{what} = {value} is too large (at most {MAX_RANGE})",
        )


def bounded_range(*args: int) -> range:
    """``range`` of at most :data:`MAX_RANGE` numbers."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimitError(
            f"range() cho {len(numbers)} số, vượt giới hạn {MAX_RANGE}",
            f"range() gives {len(numbers)} numbers, beyond the limit {MAX_RANGE}",
        )
    return numbers


# -- what an operation would make, before it is made ---------------------------------------------


def _format_widths(template: str, values: Any) -> None:
    """``%`` and ``str.format``: no width or precision beyond :data:`MAX_SIZE`, written in the
    format or taken from the values (``%*s``, ``{:{}}``)."""
    if any(int(n) > MAX_SIZE for n in _NUMBER.findall(template)):
        raise _too_big(MAX_SIZE + 1, "độ rộng trong chuỗi định dạng", "a width in a format")
    if "*" in template or re.search(r"\{[^{}]*\{", template):
        items = values.values() if isinstance(values, Mapping) else values
        for value in (
            items if isinstance(items, Iterable) and not isinstance(items, str) else [items]
        ):
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_SIZE:
                raise _too_big(value, "độ rộng trong chuỗi định dạng", "a width in a format")


def _huge_number(what_vi: str, what_en: str) -> TemplateLimitError:
    return TemplateLimitError(
        f"{what_vi} tạo số quá lớn (hơn {MAX_INT_BITS} bit)",
        f"{what_en} makes a number beyond {MAX_INT_BITS} bits",
    )


def _binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(times, int) and isinstance(seq, str | bytes | list | tuple):
                _ensure(len(seq) * max(times, 0), "phép nhân chuỗi/danh sách", "a repetition")
        ints = isinstance(left, int) and isinstance(right, int)
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise _huge_number("phép nhân", "a multiplication")
    elif operator == "**":
        ints = isinstance(left, int) and isinstance(right, int)
        if ints and right > 0 and abs(left) > 1 and right * left.bit_length() > MAX_INT_BITS:
            raise _huge_number("phép lũy thừa", "a power")
    elif operator == "%" and isinstance(left, str):
        _format_widths(left, right)


def _grown_text(name: str, text: str | bytes, args: tuple[Any, ...]) -> int | None:
    """How long ``text.<name>(*args)`` would be, for the methods that can grow text."""
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        return max(len(text), args[0])
    if name == "expandtabs":
        tab = args[0] if args and isinstance(args[0], int) else 8
        return len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(tab, 0)
    if name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(text, str):
            old, new = str(old), str(new)
        found = text.count(old) if old else len(text) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            found = min(found, args[2])
        return len(text) + found * max(len(new) - len(old), 0)
    if name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        return len(text) * max(longest, 1)
    return None


def _joined(separator: str, items: list[Any]) -> int:
    return len(separator) * max(len(items) - 1, 0) + size(items)


def _listed(value: Any) -> Any:
    """An iterable that is not a sized collection, made a list (to be measured before use)."""
    return value if isinstance(value, Sized) else list(value)


def _call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Check a method call of the template on a string before it runs; the arguments to use."""
    inner = getattr(obj, "__wrapped__", obj)
    owner, name = getattr(inner, "__self__", None), getattr(inner, "__name__", "")
    if not isinstance(owner, str | bytes):
        return args
    what_vi, what_en = f"phương thức {name}()", f"the method {name}()"
    if name in ("format", "format_map") and isinstance(owner, str):
        _format_widths(
            owner, args[0] if name == "format_map" and args else [*args, *kwargs.values()]
        )
    elif name == "join" and args:
        items = list(args[0])
        _ensure(_joined(str(owner), items), what_vi, what_en)
        return (items, *args[1:])
    else:
        grown = _grown_text(name, owner, args)
        if grown is not None:
            _ensure(grown, what_vi, what_en)
    return args


def _filter_args(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Check a filter's arguments before it runs; the value to give it."""
    if name in _SIZE_ARGUMENTS:
        for n, arg in enumerate([*args, *kwargs.values()]):
            _number(arg, f"tham số {n + 1} của bộ lọc {name}")
    what_vi, what_en = f"bộ lọc {name}", f"the filter {name}"

    def option(n: int, key: str, default: Any = None) -> Any:
        return args[n] if len(args) > n else kwargs.get(key, default)

    if name in ("join", "sum", "tojson"):
        value = _listed(value) if name != "tojson" else value
    if name == "join":
        _ensure(_joined(str(option(0, "d", "")), list(value)), what_vi, what_en)
    elif name == "sum":
        _ensure(size(value), what_vi, what_en)
    elif name == "tojson":
        indent = option(0, "indent")
        _ensure(size(value) * (1 + (indent if isinstance(indent, int) else 0)), what_vi, what_en)
    elif name in ("replace", "center") and isinstance(value, str):
        grown = _grown_text(name, value, args)
        _ensure(grown or 0, what_vi, what_en)
    elif name == "indent" and isinstance(value, str):
        width = option(0, "width", 4)
        step = len(width) if isinstance(width, str) else int(width)
        _ensure(len(value) + (value.count("\n") + 1) * step, what_vi, what_en)
    elif name == "wordwrap" and isinstance(value, str):
        width, wrap = option(0, "width", 79), option(2, "wrapstring") or "\n"
        _ensure(len(value) + (len(value) // max(int(width), 1) + 1) * len(wrap), what_vi, what_en)
    elif name == "format" and isinstance(value, str):
        _format_widths(value, [*args, *kwargs.values()])
    return value


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with the clock checked, its arguments checked first and its result after.

    ``functools.wraps`` keeps Jinja's ``pass_context``/``pass_environment`` mark, so the first
    argument is then the context or environment and the filtered value comes second.
    """
    passes = getattr(function, "jinja_pass_arg", None) is not None

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        _tick()
        lead, (value, *rest) = (args[:1], args[1:]) if passes else ((), args)
        value = _filter_args(name, value, tuple(rest), kwargs)
        return checked(function(*lead, value, *rest, **kwargs))

    return run


@pass_context
def _steps(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    """What every ``{% for %}`` iterates through: the clock is checked at each step.

    (``pass_context`` keeps Jinja from running it while compiling, on a constant list.)
    """
    for item in iterable:
        _tick()
        yield item


class _Output(list):  # type: ignore[type-arg]
    """The list a block, macro or ``{% set %}`` collects its text in, within the output limit."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0
        self.limit = _output_limit()

    def _grow(self, item: Any) -> None:
        self.size += len(item) if isinstance(item, str) else size(item)
        if self.size > self.limit:
            raise TemplateLimitError(
                f"văn bản tạo ra dài quá {self.limit} ký tự",
                f"the text made is longer than {self.limit} characters",
            )

    def append(self, item: Any) -> None:
        _tick()
        self._grow(item)
        super().append(item)

    def extend(self, items: Iterable[Any]) -> None:
        _tick()
        items = list(items)
        for item in items:
            self._grow(item)
        super().extend(items)


# -- the environment -----------------------------------------------------------------------------


class _Bound(NodeTransformer):
    """Rewrites a parsed template so that loops step through :func:`_steps` and the values that
    literals and ``~`` make are measured (:func:`checked`)."""

    @staticmethod
    def _through(node: nodes.Expr, name: str) -> nodes.Filter:
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = self._through(node.iter, _STEPS)
        return node

    def _measured(self, node: nodes.Expr) -> nodes.Node:
        self.generic_visit(node)
        return self._through(node, _SIZED)

    visit_Concat = visit_List = visit_Dict = _measured

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        return self._measured(node) if node.ctx == "load" else self.generic_visit(node)


class _BoundedCodeGenerator(CodeGenerator):
    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        _Bound().visit(node)
        super().visit_Template(node, frame)

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.output_buffer()")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the bounds of this module."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}
        self.filters[_STEPS] = _steps
        self.filters[_SIZED] = checked

    @staticmethod
    def output_buffer() -> list[Any]:
        return _Output()

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        _binop(operator, left, right)
        return checked(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        _tick()
        args = _call(obj, args, kwargs)
        return checked(super().call(context, obj, *args, **kwargs))
