"""Saving and loading models as ``.npz`` files, safely.

The file holds a JSON description of the architecture and one array per
parameter. Loading never unpickles (``allow_pickle=False``), so a file from
an untrusted source cannot run code; saving writes a temporary file beside
the target and renames it into place, so a crash mid-write never leaves a
half-written model behind.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .layers import Linear, ReLU, Sigmoid, Tanh
from .network import Sequential

__all__ = ["save", "load", "FORMAT"]

#: Written into every file and required on load.
FORMAT = "mlp_from_scratch.model/1"

_ACTIVATIONS = {"Sigmoid": Sigmoid, "Tanh": Tanh, "ReLU": ReLU}


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


def save(model: Sequential, path) -> None:
    """Write ``model``'s architecture and weights to the ``.npz`` file ``path``.

    The write is atomic: the data go to a temporary file in the same folder,
    which is then renamed over ``path``.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"save expects a Sequential model, got {type(model).__name__}")
    path = Path(path)
    arrays = {
        "format": np.array(FORMAT),
        "architecture": np.array(json.dumps(_describe(model))),
    }
    for name, param, _ in model.parameters():
        arrays[name] = param
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or "."
    )
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path) -> Sequential:
    """Rebuild the model saved at ``path`` by :func:`save`.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming
    the file for anything that is not a model written by :func:`save`:
    corrupt data, another program's ``.npz``, or pickled objects.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path} is not a readable model file ({exc})") from exc
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{path} holds a single .npy array, not a model saved by mlp_from_scratch"
        )
    try:
        with data:
            arrays = {key: data[key] for key in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path} is not a readable model file ({exc})") from exc
    if "format" not in arrays or str(arrays["format"]) != FORMAT:
        raise ValueError(
            f"{path} is not a model saved by mlp_from_scratch "
            f"(missing or unknown 'format' entry)"
        )
    try:
        spec = json.loads(str(arrays["architecture"]))
        layers = []
        for i, entry in enumerate(spec):
            if entry["type"] == "Linear":
                layer = Linear(
                    int(entry["in"]), int(entry["out"]), bias=bool(entry["bias"])
                )
                for key in layer.params:
                    value = arrays[f"layer{i}.{key}"]
                    if (
                        value.shape != layer.params[key].shape
                        or value.dtype != np.float64
                    ):
                        raise ValueError(
                            f"layer{i}.{key} has shape {value.shape} and dtype "
                            f"{value.dtype}, expected {layer.params[key].shape} float64"
                        )
                    layer.params[key] = value.copy()
            else:
                layer = _ACTIVATIONS[entry["type"]]()
            layers.append(layer)
        return Sequential(*layers)
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} holds an invalid model description: {exc}") from exc
