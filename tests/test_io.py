"""Saving and loading models: exact round trips, atomic writes, and refused files."""

import os
import pickle
import re

import numpy as np
import pytest

from mlp_from_scratch import MLP, Linear, ReLU, Sequential, Sigmoid, Tanh, load, save

SEED = 404


def _models():
    rng = np.random.default_rng(SEED)
    yield "sigmoid", MLP([3, 5, 4, 2], activation="sigmoid", rng=rng)
    yield "tanh", MLP([3, 5, 2], activation="tanh", rng=rng)
    yield "relu", MLP([3, 7, 7, 1], activation="relu", rng=rng)
    yield "no_bias", Sequential(
        Linear(3, 4, bias=False, rng=rng), Tanh(), Linear(4, 2, bias=False, rng=rng)
    )
    yield "mixed", Sequential(
        Linear(3, 4, rng=rng),
        ReLU(),
        Linear(4, 4, bias=False, rng=rng),
        Sigmoid(),
        Linear(4, 2, rng=rng),
    )
    yield "single_linear", Sequential(Linear(3, 2, init="uniform", rng=rng))


MODELS = dict(_models())


def _randomise(model, seed=SEED):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for array in layer.params.values():
            array[...] = rng.normal(size=array.shape)


@pytest.mark.parametrize("name", list(MODELS))
def test_save_load_round_trip_gives_bit_identical_predictions(tmp_path, name):
    model = MODELS[name]
    _randomise(model)
    path = tmp_path / "model.npz"
    save(model, path)
    loaded = load(path)
    assert isinstance(loaded, Sequential)
    assert [type(layer) for layer in loaded.layers] == [
        type(layer) for layer in model.layers
    ]
    for old, new in zip(model.layers, loaded.layers):
        assert set(old.params) == set(new.params)
        for key in old.params:
            assert new.params[key].dtype == np.float64
            assert np.array_equal(old.params[key], new.params[key])
    X = np.random.default_rng(1).normal(size=(9, 3))
    assert np.array_equal(model.forward(X), loaded.forward(X))


def test_loaded_model_is_independent_of_the_saved_one(tmp_path):
    model = MODELS["tanh"]
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    loaded.layers[0].params["W"][...] = 0.0
    assert not np.all(model.layers[0].params["W"] == 0.0)


def test_save_leaves_no_temporary_files(tmp_path):
    for i, model in enumerate(MODELS.values()):
        save(model, tmp_path / f"model{i}.npz")
    save(MODELS["relu"], tmp_path / "model0.npz")  # overwriting an existing file
    assert sorted(os.listdir(tmp_path)) == sorted(
        f"model{i}.npz" for i in range(len(MODELS))
    )
    assert [type(layer) for layer in load(tmp_path / "model0.npz").layers] == [
        type(layer) for layer in MODELS["relu"].layers
    ]


def test_save_accepts_a_string_path(tmp_path):
    path = str(tmp_path / "model.npz")
    save(MODELS["sigmoid"], path)
    X = np.ones((2, 3))
    assert np.array_equal(load(path).forward(X), MODELS["sigmoid"].forward(X))


def test_loading_a_missing_file_names_it(tmp_path):
    path = tmp_path / "does_not_exist.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(path.name)):
        load(path)


def test_loading_a_corrupt_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "corrupt.npz"
    path.write_bytes(np.random.default_rng(0).bytes(2048))
    with pytest.raises(ValueError, match=re.escape(path.name)):
        load(path)


def test_loading_a_truncated_model_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "truncated.npz"
    save(MODELS["tanh"], path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=re.escape(path.name)):
        load(path)


def test_loading_a_foreign_npz_is_refused_naming_it(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.ones((3, 3)), labels=np.arange(3))
    with pytest.raises(ValueError, match=re.escape(path.name)):
        load(path)


def test_loading_a_plain_npy_array_is_refused_naming_it(tmp_path):
    path = tmp_path / "array.npz"
    with open(path, "wb") as f:
        np.save(f, np.ones((2, 2)))
    with pytest.raises(ValueError, match=re.escape(path.name)):
        load(path)


def test_loading_a_model_file_with_a_wrong_weight_shape_is_refused(tmp_path):
    path = tmp_path / "bad_shape.npz"
    save(MODELS["tanh"], path)
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["layer0.W"] = np.ones((2, 2))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=re.escape(path.name)):
        load(path)


class _Payload:
    """Unpickling this object creates a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_loading_a_pickled_object_array_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "unpickled.txt"
    path = tmp_path / "pickled.npz"
    save(MODELS["tanh"], path)
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload(marker)
    arrays["layer0.W"] = payload
    np.savez(path, **arrays)  # object arrays are stored pickled
    with pytest.raises(ValueError, match=re.escape(path.name)):
        load(path)
    assert not marker.exists()


def test_loading_a_raw_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "unpickled.txt"
    path = tmp_path / "raw_pickle.npz"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match=re.escape(path.name)):
        load(path)
    assert not marker.exists()


def _crash_after_writing_half(*args, **kwargs):
    target = args[0]
    if hasattr(target, "write"):
        target.write(b"PK\x03\x04 half a zip archive")
    else:
        with open(target, "wb") as f:
            f.write(b"PK\x03\x04 half a zip archive")
    raise OSError("disk full")


@pytest.mark.parametrize("crash_in", ["savez", "replace"])
def test_a_crash_during_save_keeps_the_previous_file_and_leaves_no_temp_file(
    tmp_path, monkeypatch, crash_in
):
    path = tmp_path / "model.npz"
    old_model = MODELS["sigmoid"]
    save(old_model, path)
    before = path.read_bytes()

    if crash_in == "savez":
        monkeypatch.setattr(np, "savez", _crash_after_writing_half)
        monkeypatch.setattr(np, "savez_compressed", _crash_after_writing_half)
    else:

        def failing_replace(*args, **kwargs):
            raise OSError("rename failed")

        monkeypatch.setattr(os, "replace", failing_replace)
        monkeypatch.setattr(os, "rename", failing_replace)

    with pytest.raises(OSError):
        save(MODELS["relu"], path)
    monkeypatch.undo()

    assert os.listdir(tmp_path) == ["model.npz"]
    assert path.read_bytes() == before
    X = np.ones((2, 3))
    assert np.array_equal(load(path).forward(X), old_model.forward(X))


def test_a_crash_during_a_first_save_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(np, "savez", _crash_after_writing_half)
    monkeypatch.setattr(np, "savez_compressed", _crash_after_writing_half)
    with pytest.raises(OSError):
        save(MODELS["tanh"], tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []
