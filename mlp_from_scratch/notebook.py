"""What the chapters need to show things: an expected error, a table, the platform, a timing.

A chapter demonstrates a mistake by catching the error it raises and printing it, so that
"Run All" reaches the end of the notebook (in JupyterLab and in the browser) and nbval compares
the printed line like any other output::

    with expect_error(ValueError, match="shape"):
        layer.forward(X_with_wrong_shape)

prints ``ValueError: ...`` and carries on; if nothing is raised, or the message does not match,
it raises :class:`AssertionError`, so the demonstration cannot silently stop demonstrating.
"""

from __future__ import annotations

import re
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence

__all__ = ["IN_BROWSER", "expect_error", "format_table", "print_table", "interleaved",
           "peak_bytes"]

#: Whether the code runs in the browser, in Pyodide's WebAssembly Python. There no
#: floating-point exception or overflow warning fires, ``np.intp`` is 32-bit and the
#: timer moves in steps of 100 microseconds.
IN_BROWSER: bool = sys.platform == "emscripten"


class expect_error:
    """Context manager: the block must raise one of ``types``; the error is printed, not raised.

    After the block, the attribute ``error`` holds the exception that was caught.

    Parameters
    ----------
    *types
        The exception classes expected (at least one). An exception of any other type
        propagates unchanged: it is a real error, not the one being demonstrated.
    match
        Optional regular expression that must be found (``re.search``) in the message.
    """

    def __init__(self, *types: type[BaseException], match: str | None = None) -> None:
        if not types or not all(
            isinstance(t, type) and issubclass(t, BaseException) for t in types
        ):
            raise TypeError(
                f"expect_error needs one or more exception classes, got {types!r}"
            )
        self.types = types
        self.match = match
        self.error: BaseException | None = None

    def __enter__(self) -> "expect_error":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        names = " or ".join(t.__name__ for t in self.types)
        if exc_type is None:
            raise AssertionError(f"expected {names}, but nothing was raised")
        if not issubclass(exc_type, self.types):
            return False  # an unexpected error: let it propagate
        message = str(exc)
        if self.match is not None and not re.search(self.match, message):
            raise AssertionError(
                f"expected {names} with a message matching {self.match!r}, "
                f"got {exc_type.__name__}: {message}"
            ) from exc
        self.error = exc
        print(f"{exc_type.__name__}: {message}" if message else exc_type.__name__)
        return True


def _cell(value, floatfmt: str) -> str:
    if isinstance(value, float):
        return format(value, floatfmt)
    return str(value)


def format_table(
    rows: Sequence[Sequence], headers: Sequence[str], *, floatfmt: str = ".4g"
) -> str:
    """A plain-text table: one line per row, columns aligned, floats with ``floatfmt``.

    Text columns are left-aligned and numeric columns right-aligned.
    """
    headers = [str(h) for h in headers]
    cells = [[_cell(v, floatfmt) for v in row] for row in rows]
    for i, row in enumerate(cells):
        if len(row) != len(headers):
            raise ValueError(
                f"row {i} has {len(row)} cells but there are {len(headers)} headers"
            )
    numeric = [
        all(isinstance(row[c], (int, float)) and not isinstance(row[c], bool) for row in rows)
        and len(rows) > 0
        for c in range(len(headers))
    ]
    widths = [
        max([len(headers[c])] + [len(row[c]) for row in cells]) for c in range(len(headers))
    ]

    def line(values):
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def print_table(
    rows: Sequence[Sequence], headers: Sequence[str], *, floatfmt: str = ".4g"
) -> None:
    """Print :func:`format_table`'s table."""
    print(format_table(rows, headers, floatfmt=floatfmt))


def interleaved(
    contenders: Mapping[str, Callable[[], object]],
    repeat: int = 5,
    clock: Callable[[], float] | None = None,
    block: float | None = None,
) -> dict[str, float]:
    """Best time per call, in seconds, of each function, the functions run A B A B ...

    Each function is called in blocks: the number of calls per block doubles until a
    block lasts at least ``block`` seconds, so that a clock tick is small against it.
    Then ``repeat`` rounds each time one block of every function in turn, and the best
    block of each, divided by its number of calls, is returned: noise only adds time,
    and interleaving lets a slow spell of the machine hit every contender alike.

    ``clock`` defaults to the processor time of this process (``time.process_time``),
    which does not count the time the system gives to other programs; in the browser,
    where only the wall clock serves, to ``time.perf_counter``. ``block`` defaults to
    2 ms (20 ms in the browser, whose clock moves in steps of 100 µs).
    """
    if not contenders:
        raise ValueError("interleaved needs at least one function to time")
    if not all(callable(fn) for fn in contenders.values()):
        raise TypeError("interleaved times functions: every value must be callable")
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be an integer >= 1, got {repeat!r}")
    if clock is None:
        clock = time.perf_counter if IN_BROWSER else time.process_time
    if block is None:
        block = 0.02 if IN_BROWSER else 0.002
    calls = {}
    for name, fn in contenders.items():
        calls[name] = 1
        while True:
            start = clock()
            for _ in range(calls[name]):
                fn()
            if clock() - start >= block:
                break
            calls[name] *= 2
    best = {name: float("inf") for name in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            start = clock()
            for _ in range(calls[name]):
                fn()
            best[name] = min(best[name], (clock() - start) / calls[name])
    return best


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak memory, in bytes, allocated while ``fn()`` runs, as ``tracemalloc`` records it.

    NumPy reports its array buffers to ``tracemalloc``, so for NumPy code this is the
    most memory its arrays held at once beyond what existed before the call.
    """
    if tracemalloc.is_tracing():
        raise RuntimeError("peak_bytes needs tracemalloc to be off before it starts")
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
