"""trajectories.nc written chunk by chunk: the same dataset as one written whole, in bounded memory."""

import tracemalloc

import numpy as np
import pytest
import xarray as xr

from ivigsim.sweep.trajectories import netcdf_engine, open_trajectories, write_trajectories


def _sweep(n_points, n_times, n_vars, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 365.0, n_times)
    values = rng.normal(size=(n_points, n_times, n_vars))
    coords = {"point": np.arange(n_points, dtype=np.int32), "time": ("time", t, {"units": "day"}),
              "regimen": ("point", np.array(["monthly", "weekly"])[np.arange(n_points) % 2]),
              "status": ("point", (np.arange(n_points) % 3 == 0).astype(np.int8)),
              "fcrn_total": ("point", rng.uniform(10, 90, n_points))}
    names = [(f"out{k}", "g/L") for k in range(n_vars)]
    return coords, names, values


def _whole(coords, names, values):
    data = {name: (("point", "time"), values[:, :, k], {"units": unit}) for k, (name, unit) in enumerate(names)}
    return xr.Dataset(data, coords=coords, attrs={"experiment": "x", "model": "m"})


def test_chunked_file_equals_the_dataset_written_whole(tmp_path):
    coords, names, values = _sweep(23, 7, 3)
    # chunks out of order, one of them not consecutive: each point lands in its own row
    pieces = [np.arange(10, 20), np.arange(0, 10), np.array([20, 22, 21])]
    write_trajectories(tmp_path / "t.nc", coords, names, ((ids, values[ids]) for ids in pieces),
                       attrs={"experiment": "x", "model": "m"})
    with open_trajectories(tmp_path / "t.nc") as ds:
        assert ds.load().identical(_whole(coords, names, values).load())
    with xr.open_dataset(tmp_path / "t.nc") as ds:            # xarray alone opens it
        np.testing.assert_array_equal(ds["out2"].values, values[:, :, 2])
        assert ds["out0"].attrs["units"] == "g/L" and ds["time"].attrs["units"] == "day"


def test_a_point_never_written_reads_as_nan(tmp_path):
    coords, names, values = _sweep(6, 4, 1)
    write_trajectories(tmp_path / "t.nc", coords, names, [(np.arange(0, 3), values[:3])])
    with open_trajectories(tmp_path / "t.nc") as ds:
        out = ds["out0"].values
    np.testing.assert_array_equal(out[:3], values[:3, :, 0])
    assert np.isnan(out[3:]).all()


def test_memory_holds_one_chunk_not_the_sweep(tmp_path):
    """4,000 points x 366 days x 4 outputs is 47 MB; the writer holds about one 25-point chunk."""
    n_points, n_times, n_vars, chunk = 4000, 366, 4, 25
    coords, names, _ = _sweep(n_points, 2, n_vars)
    coords["time"] = ("time", np.arange(n_times, dtype=float), {"units": "day"})
    row = np.linspace(0.0, 1.0, n_times * n_vars).reshape(n_times, n_vars)

    def chunks():
        for a in range(0, n_points, chunk):
            ids = np.arange(a, min(a + chunk, n_points))
            yield ids, row[None, :, :] + ids[:, None, None]

    tracemalloc.start()
    try:
        write_trajectories(tmp_path / "big.nc", coords, names, chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    whole = n_points * n_times * n_vars * 8
    assert peak < whole / 20, f"peak {peak / 1e6:.1f} MB while writing a {whole / 1e6:.0f} MB sweep"
    with open_trajectories(tmp_path / "big.nc") as ds:
        np.testing.assert_array_equal(ds["out3"].values[3999], row[:, 3] + 3999)
        np.testing.assert_array_equal(ds["out0"].values[0], row[:, 0])


def test_files_of_earlier_versions_still_open(tmp_path):
    """Earlier ivigsim wrote netCDF-3 through SciPy: the engine is chosen from the file's first bytes."""
    coords, names, values = _sweep(5, 3, 2)
    old = _whole(coords, names, values)
    old.to_netcdf(tmp_path / "old.nc", engine="scipy")
    assert netcdf_engine(tmp_path / "old.nc") == "scipy"
    with open_trajectories(tmp_path / "old.nc") as ds:
        np.testing.assert_array_equal(ds["out1"].values, values[:, :, 1])
    write_trajectories(tmp_path / "new.nc", coords, names, [(np.arange(5), values)])
    assert netcdf_engine(tmp_path / "new.nc") == "h5netcdf"


def test_a_truncated_file_is_refused_when_opened(tmp_path):
    (tmp_path / "bad.nc").write_bytes(b"\x89HDF\r\n\x1a\n truncated")
    with pytest.raises((OSError, ValueError)):
        open_trajectories(tmp_path / "bad.nc")
