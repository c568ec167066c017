"""Saving and loading models as ``.npz`` files, safely.

The file is an uncompressed zip (what ``numpy.savez`` writes) holding a JSON description of the
architecture and one ``.npy`` array per parameter.

What :func:`load` guarantees, for any file whatever its origin:

* it never unpickles and never runs code from the file;
* it checks before it allocates: the zip directory first (only the members a saved model has,
  stored uncompressed, unencrypted, each no larger than the file itself), then the ``format``
  entry, then the architecture (strict JSON types: ``"bias"`` a JSON boolean, sizes JSON
  integers from 1 to :data:`MAX_FEATURES`, at most :data:`MAX_LAYERS` entries), then each
  ``.npy`` header (float64, the shape the architecture implies, a size that matches the bytes
  the zip directory declares). Only then are the arrays read, and each read is bounded by its
  declared size, so the memory used is bounded by the size of the file;
* layers are built from the stored arrays, never initialised at random first;
* every failure is a ``ValueError`` whose message names the file and says what is wrong
  (``FileNotFoundError``, ``IsADirectoryError``, ``PermissionError`` or ``TypeError`` for a
  path that cannot be opened or is not a path).

:func:`save` writes a temporary file beside the target and renames it into place, so a crash
mid-write never leaves a half-written model behind; the new file gets the permissions an
ordinary ``open`` would give it (the old file's mode when it replaces one, else what the
user's umask allows), and a file the user may not write is not replaced.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .layers import Linear, ReLU, Sigmoid, Tanh
from .network import Sequential

__all__ = ["save", "load", "FORMAT", "MAX_FEATURES", "MAX_LAYERS"]

#: Written into every file and required on load.
FORMAT = "mlp_from_scratch.model/1"
#: Largest ``in`` or ``out`` size :func:`load` accepts for a Linear layer.
MAX_FEATURES = 1 << 24
#: Most layers :func:`load` accepts in one model.
MAX_LAYERS = 10_000
_MAX_TEXT = 1 << 20  # characters of the format and architecture entries
_MAX_NPY_HEADER = 10_000  # bytes, numpy's own limit for a trusted header

_ACTIVATIONS = {"Sigmoid": Sigmoid, "Tanh": Tanh, "ReLU": ReLU}
_FLOAT64 = np.dtype("<f8")


def _describe(model: Sequential) -> list[dict]:
    spec = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Linear):
            spec.append(
                {
                    "type": "Linear",
                    "in": layer.in_features,
                    "out": layer.out_features,
                    "bias": layer.has_bias,
                }
            )
        elif (
            type(layer).__name__ in _ACTIVATIONS
            and type(layer) is _ACTIVATIONS[type(layer).__name__]
        ):
            spec.append({"type": type(layer).__name__})
        else:
            raise TypeError(
                f"cannot save layer {i} of type {type(layer).__name__}: "
                f"only Linear, Sigmoid, Tanh and ReLU layers are supported"
            )
    return spec


def _new_file_mode(path: Path) -> int:
    """The mode ``open(path, "wb")`` would leave: the old file's, or 0o666 less the umask."""
    if path.exists():
        try:
            return stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            pass
    umask = os.umask(0)
    os.umask(umask)
    # The owner can always read and write what they saved (Pyodide's umask would leave 0o000).
    return (0o666 & ~umask) | 0o600


def _set_mode(fd: int, tmp: str, mode: int) -> None:
    try:
        os.fchmod(fd, mode)
    except (OSError, AttributeError, NotImplementedError):
        # File systems without Unix permissions (the browser's, under Pyodide) have no mode
        # to keep; everywhere else fchmod works.
        try:
            os.chmod(tmp, mode)
        except OSError:
            pass


def save(model: Sequential, path) -> None:
    """Write ``model``'s architecture and weights to the ``.npz`` file ``path``.

    The write is atomic: the data go to a temporary file in the same folder, which is then
    renamed over ``path``. As with ``open(path, "wb")``, a ``PermissionError`` is raised for
    an existing file the user may not write, and the file ends with the old file's mode, or
    the mode the umask gives a new file.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"save expects a Sequential model, got {type(model).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"save expects a file path, got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save a model to {path}: it is a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise PermissionError(f"cannot save a model to {path}: the file is not writable")
    arrays = {
        "format": np.array(FORMAT),
        "architecture": np.array(json.dumps(_describe(model))),
    }
    for name, param, _ in model.parameters():
        arrays[name] = np.ascontiguousarray(param, dtype=np.float64)
    mode = _new_file_mode(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or "."
    )
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            _set_mode(f.fileno(), tmp, mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class _Refused(Exception):
    """What is wrong with a model file; :func:`load` adds the file's name."""


def _check_directory(archive: zipfile.ZipFile, file_size: int) -> dict[str, zipfile.ZipInfo]:
    members = {}
    for info in archive.infolist():
        name = info.filename
        if name in members:
            raise _Refused(f"the member {name!r} appears twice")
        if info.flag_bits & 0x1:
            raise _Refused(f"the member {name!r} is encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Refused(
                f"the member {name!r} is compressed (method {info.compress_type}); "
                "save writes every member uncompressed"
            )
        if info.file_size > file_size or info.compress_size != info.file_size:
            raise _Refused(
                f"the member {name!r} declares {info.file_size} bytes in a file of "
                f"{file_size} bytes"
            )
        members[name] = info
    return members


def _read_array(archive, info: zipfile.ZipInfo, expect_shape, expect_kind: str) -> np.ndarray:
    """Read one member after checking its header against what the architecture implies."""
    name = info.filename
    with archive.open(info) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            read = np.lib.format.read_array_header_1_0
        elif version == (2, 0):
            read = np.lib.format.read_array_header_2_0
        else:
            raise _Refused(f"{name}: .npy format version {version} is not one save writes")
        shape, fortran, dtype = read(stream, max_header_size=_MAX_NPY_HEADER)
        header_bytes = stream.tell()
        if dtype.hasobject:
            raise _Refused(f"{name} holds Python objects (a pickle), which load never reads")
        if expect_kind == "text":
            if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * _MAX_TEXT:
                raise _Refused(f"{name} is not a text entry (dtype {dtype}, shape {shape})")
        else:
            if dtype != _FLOAT64 or fortran:
                raise _Refused(f"{name} has dtype {dtype}, expected float64")
            if tuple(shape) != tuple(expect_shape):
                raise _Refused(
                    f"{name} has shape {tuple(shape)}, the architecture says {tuple(expect_shape)}"
                )
        n_bytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        if header_bytes + n_bytes != info.file_size:
            raise _Refused(
                f"{name}: its header declares {n_bytes} bytes of data, the zip directory "
                f"{info.file_size - header_bytes}"
            )
        data = stream.read(n_bytes)
        if len(data) != n_bytes:
            raise _Refused(f"{name} is truncated")
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array.copy()


def _text(archive, members, name: str) -> str:
    info = members.get(f"{name}.npy")
    if info is None:
        raise _Refused(f"the {name!r} entry is missing: not a model saved by mlp_from_scratch")
    return str(_read_array(archive, info, (), "text")[()])


def _json_scalar(value, what: str):
    raise _Refused(f"{what}: {value} is not allowed in the architecture")


def _parse_architecture(text: str) -> list[dict]:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:  # brackets nest at most two deep in a saved architecture
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > 2:
                raise _Refused("the architecture nests deeper than a list of layers")
        elif char in "]}":
            depth -= 1
    spec = json.loads(text, parse_constant=lambda c: _json_scalar(c, "architecture"))
    if not isinstance(spec, list):
        raise _Refused("the architecture is not a list of layers")
    if not 1 <= len(spec) <= MAX_LAYERS:
        raise _Refused(f"the architecture has {len(spec)} layers, not 1 to {MAX_LAYERS}")
    for i, entry in enumerate(spec):
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise _Refused(f"layer {i} of the architecture is not an object with a 'type'")
        kind = entry["type"]
        if kind == "Linear":
            if set(entry) != {"type", "in", "out", "bias"}:
                raise _Refused(
                    f"layer {i} (Linear) has the fields {sorted(entry)}, "
                    "expected bias, in, out, type"
                )
            for key in ("in", "out"):
                value = entry[key]
                if type(value) is not int or not 1 <= value <= MAX_FEATURES:
                    raise _Refused(
                        f"layer {i} (Linear) has {key!r} = {str(value)[:40]!s}, "
                        f"not an integer from 1 to {MAX_FEATURES}"
                    )
            if type(entry["bias"]) is not bool:
                raise _Refused(
                    f"layer {i} (Linear) has 'bias' = {str(entry['bias'])[:40]}, "
                    "not true or false"
                )
        elif kind in _ACTIVATIONS:
            if set(entry) != {"type"}:
                raise _Refused(f"layer {i} ({kind}) has unexpected fields {sorted(entry)}")
        else:
            raise _Refused(f"layer {i} has the unknown type {kind[:40]!r}")
    return spec


def _expected_arrays(spec: list[dict]) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for i, entry in enumerate(spec):
        if entry["type"] == "Linear":
            shapes[f"layer{i}.W"] = (entry["in"], entry["out"])
            if entry["bias"]:
                shapes[f"layer{i}.b"] = (entry["out"],)
    return shapes


def _load(archive: zipfile.ZipFile, file_size: int) -> Sequential:
    members = _check_directory(archive, file_size)
    if _text(archive, members, "format") != FORMAT:
        raise _Refused("unknown 'format' entry: not a model saved by mlp_from_scratch")
    spec = _parse_architecture(_text(archive, members, "architecture"))
    shapes = _expected_arrays(spec)
    expected = {f"{name}.npy" for name in shapes} | {"format.npy", "architecture.npy"}
    stray = sorted(set(members) - expected)
    missing = sorted(expected - set(members))
    if stray:
        raise _Refused(f"members not in a saved model: {', '.join(stray)[:200]}")
    if missing:
        raise _Refused(f"the architecture needs members that are missing: {', '.join(missing)}")
    layers = []
    for i, entry in enumerate(spec):
        if entry["type"] == "Linear":
            W = _read_array(archive, members[f"layer{i}.W.npy"], shapes[f"layer{i}.W"], "float")
            b = None
            if entry["bias"]:
                b = _read_array(archive, members[f"layer{i}.b.npy"], shapes[f"layer{i}.b"],
                                "float")
            layers.append(Linear.from_arrays(W, b))
        else:
            layers.append(_ACTIVATIONS[entry["type"]]())
    return Sequential(*layers)


# Everything reading a hostile zip or .npy header can raise, short of running out of memory
# (which the checks above rule out): zipfile's BadZipFile, NotImplementedError for an unknown
# compression method, RuntimeError for encryption (and RecursionError), numpy's header parser's
# ValueError and SyntaxError, struct.error, UnicodeDecodeError, OverflowError, EOFError, OSError.
_READ_ERRORS = (
    _Refused, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
    ValueError, SyntaxError, TypeError, KeyError, IndexError, OverflowError, EOFError,
    UnicodeError, OSError, ArithmeticError, LookupError,
)


def load(path) -> Sequential:
    """Rebuild the model saved at ``path`` by :func:`save`.

    Raises ``FileNotFoundError``, ``IsADirectoryError`` or ``PermissionError`` when the path
    cannot be opened, ``TypeError`` when it is not a path, and ``ValueError`` naming the file
    and what is wrong for anything that is not a model written by :func:`save`: corrupt or
    truncated data, another program's ``.npz``, pickled objects, compressed or encrypted
    members, declared sizes that disagree, or an architecture with wrong types. The module
    docstring lists the checks, all made before any array is allocated.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load expects a file path, got {type(path).__name__}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a model file")
    with open(path, "rb") as f:  # PermissionError from here names the path
        file_size = os.fstat(f.fileno()).st_size
        try:
            with zipfile.ZipFile(f) as archive:
                return _load(archive, file_size)
        except _READ_ERRORS as exc:
            if isinstance(exc, (PermissionError, IsADirectoryError)):
                raise
            reason = str(exc) or type(exc).__name__
            if not isinstance(exc, _Refused):
                reason = f"{type(exc).__name__}: {reason}"
            raise ValueError(f"{path} is not a valid model file: {reason[:500]}") from exc
