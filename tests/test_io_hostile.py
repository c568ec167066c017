"""Hostile model files: `load` refuses each in bounded memory, with a ValueError naming the file.

Every hostile file is loaded in a child process whose address space is capped
(`resource.setrlimit(RLIMIT_AS)`) at what it had after importing the package plus
MEMORY_BUDGET: a loader that allocated what a file claims (gigabytes) would die there with a
MemoryError, which the test reports. `save`'s permissions are checked as a non-root user.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from mlp_from_scratch import MLP, load, save
from mlp_from_scratch.io import FORMAT, MAX_FEATURES

MEMORY_BUDGET = 256 * 2**20  # bytes a refusal may use beyond the imported package

CHILD = textwrap.dedent(
    """
    import json, os, resource, sys, time
    import numpy as np
    from mlp_from_scratch import load

    def vm_bytes():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

    limit = vm_bytes() + int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    results = {}
    for path in sys.argv[2:]:
        try:
            load(path)
            results[path] = ["loaded", ""]
        except BaseException as exc:
            results[path] = [type(exc).__name__, str(exc)]
    print(json.dumps(results))
    """
)


def load_in_child(paths: list[Path]) -> dict[str, tuple[str, str]]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(MEMORY_BUDGET), *map(str, paths)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return {k: tuple(v) for k, v in json.loads(out.stdout).items()}


def assert_refused(results, path: Path, match: str = ""):
    kind, message = results[str(path)]
    assert kind == "ValueError", f"{path.name}: {kind}: {message[:300]}"
    assert str(path) in message, f"{path.name}: the message does not name the file: {message}"
    if match:
        assert match.lower() in message.lower(), f"{path.name}: {message}"


# --- making files ------------------------------------------------------------------------------

def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def npy_header_only(shape, dtype="<f8") -> bytes:
    """An .npy header claiming `shape` with no data behind it."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def write_zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def model_members(architecture, arrays: dict[str, np.ndarray]) -> dict[str, bytes]:
    text = architecture if isinstance(architecture, str) else json.dumps(architecture)
    members = {"format.npy": npy_bytes(np.array(FORMAT)),
               "architecture.npy": npy_bytes(np.array(text))}
    members.update({f"{k}.npy": npy_bytes(v) for k, v in arrays.items()})
    return members


def linear_arch(n_in=3, n_out=2, bias=True):
    return [{"type": "Linear", "in": n_in, "out": n_out, "bias": bias}]


def small_arrays(n_in=3, n_out=2):
    return {"layer0.W": np.ones((n_in, n_out)), "layer0.b": np.zeros(n_out)}


_CRC_CACHE: dict[int, int] = {}


def _zeros_crc(size: int) -> int:
    if size not in _CRC_CACHE:
        chunk, crc = bytes(1 << 20), 0
        for _ in range(size // len(chunk)):
            crc = zlib.crc32(chunk, crc)
        _CRC_CACHE[size] = crc
    return _CRC_CACHE[size]


def deflated_zeros_member(path: Path, name: str, size: int, others: dict[str, bytes]) -> Path:
    """A zip whose member `name` inflates to `size` zero bytes from a few megabytes."""
    chunk = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = _zeros_crc(size)
    body = block * (size // len(chunk)) + compressor.flush(zlib.Z_FINISH)
    with zipfile.ZipFile(path, "w") as archive:
        for other, data in others.items():
            archive.writestr(other, data)
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size, info.compress_size, info.CRC = size, len(body), crc
        info.header_offset = archive.fp.tell()
        archive.fp.write(info.FileHeader(zip64=True))
        archive.fp.write(body)
        archive.filelist.append(info)
        archive.NameToInfo[name] = info
        archive.start_dir = archive.fp.tell()
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("saved") / "model.npz"
    save(MLP([3, 4, 2], activation="tanh", rng=0), path)
    return path


# --- oversized declarations and zip bombs ------------------------------------------------------

def test_oversized_declarations_and_bombs_are_refused_before_allocating(tmp_path, saved):
    base = model_members(linear_arch(), small_arrays())
    cases = {
        # 862 bytes asking for a 20000 x 20000 layer (3 GB), and for 10**6 x 10**6 (7 TiB)
        "huge_layer.npz": (write_zip(tmp_path / "huge_layer.npz", model_members(
            linear_arch(20000, 20000), small_arrays())), "shape"),
        "huge_layer_1e6.npz": (write_zip(tmp_path / "huge_layer_1e6.npz", model_members(
            linear_arch(10**6, 10**6), small_arrays())), "shape"),
        # .npy headers claiming 10**12 elements with no data behind them
        "header_lies.npz": (write_zip(tmp_path / "header_lies.npz", {
            **model_members(linear_arch(10**6, 10**6), {}),
            "layer0.W.npy": npy_header_only((10**6, 10**6)),
            "layer0.b.npy": npy_header_only((10**6,))}), "declares"),
        # 3 GiB of zeros in a few MB: as a stray member, a non-.npy member, and as layer0.W.npy
        "bomb_stray.npz": (deflated_zeros_member(tmp_path / "bomb_stray.npz", "stray.npy",
                                                 3 * 2**30, base), "compressed"),
        "bomb_text.npz": (deflated_zeros_member(tmp_path / "bomb_text.npz", "notes.txt",
                                                3 * 2**30, base), "compressed"),
        "bomb_weights.npz": (deflated_zeros_member(
            tmp_path / "bomb_weights.npz", "layer0.W.npy", 3 * 2**30,
            {k: v for k, v in base.items() if k != "layer0.W.npy"}), "compressed"),
        # sizes out of the accepted range
        "too_many_features.npz": (write_zip(tmp_path / "too_many_features.npz", model_members(
            linear_arch(MAX_FEATURES + 1, 2), small_arrays())), "integer from 1"),
    }
    assert (tmp_path / "huge_layer.npz").stat().st_size < 2000
    assert (tmp_path / "bomb_weights.npz").stat().st_size < 8 * 2**20
    results = load_in_child([path for path, _ in cases.values()])
    for path, match in cases.values():
        assert_refused(results, path, match)


# --- errors that used to escape as other exceptions --------------------------------------------

def test_unknown_compression_encryption_and_corruption_are_value_errors(tmp_path, saved):
    data = saved.read_bytes()
    directory = data.rfind(b"PK\x01\x02")
    method = bytearray(data)
    method[directory + 10:directory + 12] = (99).to_bytes(2, "little")  # unknown method
    encrypted = bytearray(data)
    encrypted[directory + 8] |= 0x1  # the "encrypted" flag of the last member
    cases = {
        "method.npz": bytes(method),
        "encrypted.npz": bytes(encrypted),
        "truncated.npz": data[: len(data) // 2],
        "empty.npz": b"",
        "random.npz": np.random.default_rng(0).bytes(4096),
        "pickle.npz": pickle.dumps({"W": np.ones(3)}),
    }
    paths = []
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        paths.append(tmp_path / name)
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    paths.append(single)
    results = load_in_child(paths)
    for path in paths:
        assert_refused(results, path)
    assert "compressed" in results[str(tmp_path / "method.npz")][1]
    assert "encrypted" in results[str(tmp_path / "encrypted.npz")][1]


def test_single_bit_flips_of_the_zip_metadata_are_refused_or_load_the_same_model(
        tmp_path, saved):
    data = saved.read_bytes()
    reference = load(saved)
    X = np.random.default_rng(2).normal(size=(5, 3))
    expected = reference.forward(X)
    # the metadata: every local file header (30 bytes + name) and the central directory
    metadata = set(range(data.rfind(b"PK\x01\x02"), len(data)))
    with zipfile.ZipFile(saved) as archive:
        for info in archive.infolist():
            metadata |= set(range(info.header_offset,
                                  info.header_offset + 30 + len(info.filename)))
    directory_start = min(i for i in range(len(data)) if data.startswith(b"PK\x01\x02", i))
    metadata |= set(range(directory_start, len(data)))
    flips = 0
    for position in sorted(metadata)[::3]:  # every bit of every third byte of the metadata
        for bit in range(8):
            flipped = bytearray(data)
            flipped[position] ^= 1 << bit
            path = tmp_path / "flipped.npz"
            path.write_bytes(bytes(flipped))
            flips += 1
            try:
                model = load(path)
            except ValueError as exc:
                assert str(path) in str(exc)
            else:  # a flip in a field load does not use (a timestamp, say) changes nothing
                assert np.array_equal(model.forward(X), expected)
    assert flips > 1500


# --- wrong types and deep nesting --------------------------------------------------------------

WRONG_ARCHITECTURES = {
    "bias_string": [{"type": "Linear", "in": 3, "out": 2, "bias": "false"}],
    "bias_null": [{"type": "Linear", "in": 3, "out": 2, "bias": None}],
    "bias_one": [{"type": "Linear", "in": 3, "out": 2, "bias": 1}],
    "in_string": [{"type": "Linear", "in": "3", "out": 2, "bias": True}],
    "in_float": [{"type": "Linear", "in": 3.9, "out": 2, "bias": True}],
    "in_true": [{"type": "Linear", "in": True, "out": 2, "bias": True}],
    "in_zero": [{"type": "Linear", "in": 0, "out": 2, "bias": True}],
    "extra_field": [{"type": "Linear", "in": 3, "out": 2, "bias": True, "init": "he"}],
    "unknown_type": [{"type": "Conv2d"}],
    "not_a_list": {"type": "Linear"},
    "empty": [],
}
WRONG_TEXTS = {
    "in_1e400": '[{"type": "Linear", "in": 1e400, "out": 2, "bias": true}]',
    "in_400_digits": '[{"type": "Linear", "in": ' + "9" * 400 + ', "out": 2, "bias": true}]',
    "in_nan": '[{"type": "Linear", "in": NaN, "out": 2, "bias": true}]',
    "deep_nesting": "[" * 100_000 + "]" * 100_000,
    "not_json": "Linear(3, 2)",
}


def test_wrong_types_and_deep_nesting_are_refused(tmp_path):
    paths = []
    for name, architecture in {**WRONG_ARCHITECTURES, **WRONG_TEXTS}.items():
        paths.append(write_zip(tmp_path / f"{name}.npz",
                               model_members(architecture, small_arrays())))
    results = load_in_child(paths)
    for path in paths:
        assert_refused(results, path)
    assert "true or false" in results[str(tmp_path / "bias_string.npz")][1]
    assert "nests deeper" in results[str(tmp_path / "deep_nesting.npz")][1]


def test_pickled_arrays_stray_and_missing_members_are_refused(tmp_path):
    objects = small_arrays()
    objects["layer0.W"] = np.array([[{"x": 1}] * 2] * 3, dtype=object)
    cases = {
        "object_array.npz": model_members(linear_arch(), objects),
        "stray.npz": {**model_members(linear_arch(), small_arrays()), "extra.npy": b"x"},
        "missing_bias.npz": model_members(linear_arch(), {"layer0.W": np.ones((3, 2))}),
        "no_format.npz": {k: v for k, v in model_members(linear_arch(), small_arrays()).items()
                          if k != "format.npy"},
        "wrong_format.npz": {**model_members(linear_arch(), small_arrays()),
                             "format.npy": npy_bytes(np.array("other/1"))},
        "float32.npz": model_members(linear_arch(), {**small_arrays(),
                                                     "layer0.W": np.ones((3, 2), np.float32)}),
        "big_endian.npz": model_members(linear_arch(), {**small_arrays(),
                                                        "layer0.W": np.ones((3, 2), ">f8")}),
    }
    paths = [write_zip(tmp_path / name, members) for name, members in cases.items()]
    results = load_in_child(paths)
    for path in paths:
        assert_refused(results, path)
    assert "pickle" in results[str(tmp_path / "object_array.npz")][1]
    assert "extra.npy" in results[str(tmp_path / "stray.npz")][1]


def test_paths_that_cannot_be_opened_raise_the_path_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load(tmp_path / "absent.npz")
    with pytest.raises(IsADirectoryError, match="folder"):
        load(tmp_path)
    with pytest.raises(TypeError, match="file path"):
        load(42)


# --- the round trip stays exact ----------------------------------------------------------------

def test_round_trip_keeps_nan_payloads_negative_zero_subnormals_and_infinities(tmp_path):
    model = MLP([2, 3, 2], activation="relu", rng=0)
    W = model.layers[0].params["W"]
    bits = np.array([0x7FF8_0000_0000_1234, 0xFFF0_0000_0000_0001, 0x8000_0000_0000_0000,
                     0x0000_0000_0000_0001, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000],
                    dtype=np.uint64)
    W[...] = bits.view(np.float64).reshape(W.shape)
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert np.array_equal(loaded.layers[0].params["W"].view(np.uint64), bits.reshape(W.shape))


# --- save: permissions and umask -----------------------------------------------------------------

def test_save_gives_a_new_file_the_umask_mode_and_keeps_an_existing_files_mode(tmp_path):
    model = MLP([2, 2], rng=0)
    old = os.umask(0o022)
    try:
        save(model, tmp_path / "new.npz")
        assert stat.S_IMODE((tmp_path / "new.npz").stat().st_mode) == 0o644
        (tmp_path / "kept.npz").write_bytes(b"old")
        os.chmod(tmp_path / "kept.npz", 0o640)
        save(model, tmp_path / "kept.npz")
        assert stat.S_IMODE((tmp_path / "kept.npz").stat().st_mode) == 0o640
        os.umask(0o077)
        save(model, tmp_path / "private.npz")
        assert stat.S_IMODE((tmp_path / "private.npz").stat().st_mode) == 0o600
    finally:
        os.umask(old)
    assert np.array_equal(load(tmp_path / "kept.npz").layers[0].params["W"],
                          model.layers[0].params["W"])


def _save_as(uid: int, gid: int, path: Path) -> str:
    """`save` run in a forked child with the given user and group; what it printed."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, save, report, exit without pytest's cleanup
        os.close(read)
        try:
            os.setgid(gid)
            os.setuid(uid)
            save(MLP([2, 2], rng=0), path)
            message = "saved"
        except PermissionError as exc:
            message = f"PermissionError {exc}"
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            message = f"{type(exc).__name__} {exc}"
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 4096):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def test_save_refuses_to_replace_a_read_only_file():
    import pwd
    import shutil
    import tempfile

    # An ordinary user's file in a folder they may write: only the file's own mode protects it.
    # (root may write any file, as open() would let it; the test saves as user "nobody".)
    user = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    folder = Path(tempfile.mkdtemp(prefix="mlp-save-"))
    try:
        os.chmod(folder, 0o777)
        target = folder / "m.npz"
        target.write_bytes(b"precious")
        os.chmod(target, 0o444)
        if os.geteuid() == 0:
            os.chown(target, user.pw_uid, user.pw_gid)
        said = _save_as(user.pw_uid, user.pw_gid, target)
        assert said.startswith("PermissionError") and str(target) in said, said
        assert target.read_bytes() == b"precious"
        assert [p.name for p in folder.iterdir()] == ["m.npz"], "a temporary file was left"
    finally:
        shutil.rmtree(folder)
