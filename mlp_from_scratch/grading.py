"""Grade a reader's function against the package's, with a diagnosis instead of a bare "wrong".

The chapters' exercises ask the reader to write a function (their own ``linear_backward``,
say) and call :func:`grade` on it::

    grade(my_linear_backward, F.linear_backward, grad_a, z, W, names=("grad_z", "grad_W", "grad_b"))

Both functions run on their own copies of the arguments. Each output is compared with the
reference by :func:`~mlp_from_scratch.gradcheck.relative_error`, and a wrong one is described by
the usual mistakes of hand-written backprop: a transposed result, a missing sum over the rows,
a factor such as ``1/N`` too many or too few, a flipped sign, an argument changed in place.
A factor is called a missing or extra division by the batch size only when it equals the batch
size ``N``: the ``batch_size`` given to :func:`grade`, or else the one size the arguments agree on
as their sample axis (see :func:`batch_size_of`).
:func:`grade` prints one line per output and returns whether all were right; it never raises
for a wrong or unfinished answer, so a notebook's "Run All" goes on.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np

from .gradcheck import relative_error

__all__ = ["grade", "diagnose", "batch_size_of"]


def _copy(value):
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable objects count as changed
        return False


def _close(got: np.ndarray, want: np.ndarray, rtol: float) -> bool:
    return got.shape == want.shape and relative_error(got, want) <= rtol


def batch_size_of(args) -> int | None:
    """The batch size ``N`` that the arrays among ``args`` hold in their rows, or None.

    Rows are samples, so ``N`` is a first dimension; but a weight matrix's first dimension is
    a feature size (``n_in`` for ``W``), so the first dimension of any array does not do. A
    size counts as ``N`` when it is the first dimension of at least two arrays (a batch and its
    gradient, logits and their labels) and no array has it on another axis (features are
    contracted with weights, so their sizes meet on other axes). When exactly one size
    qualifies, it is returned; otherwise None, and :func:`grade` names no batch size.

    This is a reading of shapes, not knowledge: two arrays that are not batches (a weight and
    its gradient) or samples stored in columns can make it return a feature size. Where the
    arguments are not rows of samples, pass ``batch_size`` to :func:`grade`.
    """
    arrays = [a for a in args if isinstance(a, np.ndarray) and a.ndim >= 1]
    leading = [a.shape[0] for a in arrays]
    elsewhere = {n for a in arrays for n in a.shape[1:]}
    sizes = {n for n in leading if n > 1 and leading.count(n) >= 2 and n not in elsewhere}
    return sizes.pop() if len(sizes) == 1 else None


def diagnose(got, want, *, rtol: float = 1e-7, batch_sizes: Sequence[int] = ()) -> str | None:
    """``None`` if ``got`` equals ``want`` to relative error ``rtol``, else what is wrong.

    ``batch_sizes`` lists the sizes that a constant factor may be named after ("a missing
    division by the batch size N?"); give only the real batch size, or none.
    """
    want = np.asarray(want, dtype=np.float64)
    if got is None:
        return "returned None: is a `return` missing?"
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"is not an array of numbers (got {type(got).__name__})"
    if got.shape != want.shape:
        expected = f"has shape {got.shape}, expected {want.shape} (the shape of the variable)"
        if want.ndim == 2 and got.shape == want.shape[::-1] and _close(got.T, want, rtol):
            return f"is transposed: {expected}"
        if got.ndim == want.ndim + 1 and got.shape[1:] == want.shape and _close(
            got.sum(axis=0), want, rtol
        ):
            return f"is missing the sum over the rows (axis 0): {expected}"
        if got.size == want.size and _close(got.reshape(want.shape), want, rtol):
            return f"has the right numbers in the wrong shape: {expected}"
        return expected
    if not np.all(np.isfinite(got)):
        return "contains NaN or inf"
    error = relative_error(got, want)
    if error <= rtol:
        return None
    if (
        want.ndim == 2
        and want.shape[0] == want.shape[1]
        and not _close(want, want.T, rtol)
        and _close(got, want.T, rtol)
    ):
        return "is the transpose of the right answer (a J where Jᵀ belongs, or the reverse?)"
    norm = float(np.vdot(want, want))
    if norm > 0:
        factor = float(np.vdot(got, want)) / norm
        if factor != 0 and _close(got, factor * want, rtol):
            if abs(factor + 1) <= 1e-6:
                return "has the wrong sign"
            hint = ""
            for n in sorted(batch_sizes):
                if abs(factor - n) <= 1e-6 * n:
                    hint = f": {n} times too large; a missing division by the batch size N = {n}?"
                    break
                if abs(factor * n - 1) <= 1e-6:
                    hint = f": {n} times too small; an extra division by the batch size N = {n}?"
                    break
            return f"is off by a constant factor of {factor:.4g}{hint}"
    worst = np.unravel_index(np.argmax(np.abs(got - want)), want.shape) if want.ndim else ()
    where = f" at index {tuple(int(i) for i in worst)}" if want.ndim else ""
    return (
        f"differs from the reference: relative error {error:.2e} (tolerance {rtol:.0e}); "
        f"the largest difference is{where}: got {got[worst]:.6g}, expected {want[worst]:.6g}"
    )


def grade(
    candidate: Callable,
    reference: Callable,
    *args,
    names: Sequence[str] | None = None,
    rtol: float = 1e-7,
    batch_size: int | None = None,
) -> bool:
    """Call ``candidate(*args)`` and ``reference(*args)``, print a verdict per output, return it.

    Parameters
    ----------
    candidate, reference
        The reader's function and the package's. A reference returning a tuple means several
        outputs, compared one by one; ``names`` labels them (default ``output 1``, …).
    *args
        Arguments for both; each function gets its own copies, and the candidate is also
        checked for changing its arguments in place.
    rtol
        Largest relative error accepted (the book's tolerance for float64 arithmetic that
        should agree to rounding).
    batch_size
        The number of samples ``N`` in the arguments, named when an output is off by a factor
        ``N`` or ``1/N``. By default it is read off the arguments' shapes
        (:func:`batch_size_of`); pass it where the arguments are not rows of samples.

    Returns
    -------
    bool
        True when every output matches and no argument was modified.
    """
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    title = getattr(candidate, "__name__", "your function")
    originals = [_copy(a) for a in args]
    want = reference(*[_copy(a) for a in args])
    given = [_copy(a) for a in args]
    try:
        got = candidate(*given)
    except NotImplementedError:
        print(f"✗ {title}: not written yet (it raises NotImplementedError)")
        return False
    except Exception as error:  # noqa: BLE001 - reported to the reader, not raised
        print(f"✗ {title} raised {type(error).__name__}: {error}")
        return False

    ok = True
    for i, (before, after) in enumerate(zip(originals, given)):
        if not _same(before, after):
            print(f"✗ {title} changed its argument {i + 1} in place; a backward must not")
            ok = False

    several = isinstance(want, tuple)
    wants = list(want) if several else [want]
    if names is None:
        names = [f"output {k + 1}" for k in range(len(wants))] if several else [title]
    if len(names) != len(wants):
        raise ValueError(f"{len(names)} names for {len(wants)} outputs of the reference")
    if several:
        if not isinstance(got, (tuple, list)) or len(got) != len(wants):
            count = len(got) if isinstance(got, (tuple, list)) else 1
            print(f"✗ {title} returned {count} value(s); expected {len(wants)}: {', '.join(names)}")
            return False
        gots = list(got)
    else:
        gots = [got]

    N = batch_size_of(args) if batch_size is None else int(batch_size)
    sizes = [] if N is None else [N]
    for name, g, w in zip(names, gots, wants):
        problem = diagnose(g, w, rtol=rtol, batch_sizes=sizes)
        if problem is None:
            print(f"✓ {name}: correct (relative error at most {rtol:.0e})")
        else:
            print(f"✗ {name} {problem}")
            ok = False
    return ok
