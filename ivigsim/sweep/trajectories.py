"""``trajectories.nc``: written chunk by chunk, read back lazily.

A sweep's time courses (point x time, one variable per output) can be far
larger than memory: 20,000 points of a one-year daily grid hold 58 MB per
output. The file is therefore written the way the sweep computes it: first
the coordinates (points, times, regimens, status, varied inputs), then each
chunk of points in turn into preallocated variables, so memory holds one
chunk whatever the number of points. The format is netCDF-4 (HDF5), written
with h5netcdf; ``xarray.open_dataset`` reads it, and so does
:func:`open_trajectories`, lazily (values are read from disk when used).

Files written by earlier versions (netCDF-3, through SciPy) are read too: the
engine is chosen from the file's first bytes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["write_trajectories", "open_trajectories", "netcdf_engine"]

ENGINE = "h5netcdf"
#: Points per HDF5 chunk of a variable: a sweep chunk writes whole HDF5 chunks, and
#: a reader of one point touches a few hundred kB at most.
POINTS_PER_HDF5_CHUNK = 25


def write_trajectories(path, coords, variables, chunks, attrs=None):
    """Write ``path`` (netCDF-4) from the coordinates and the chunks of a sweep.

    Parameters
    ----------
    path : Path
        The file to create (the caller writes under a temporary name and renames).
    coords : dict
        xarray coordinates: ``point`` (n_points,), ``time`` (n_times,) and
        any per-point coordinates, as for ``xarray.Dataset(coords=...)``.
    variables : sequence of (str, str)
        ``(name, unit)`` of each output, in the order of the chunks' last axis.
    chunks : iterable of (ndarray, ndarray)
        ``(point indices (m,), values (m, n_times, n_variables))``; every point
        appears in one chunk. Points never written read back as NaN.
    attrs : dict, optional
        Global attributes.
    """
    import h5netcdf
    import xarray as xr

    skeleton = xr.Dataset(coords=coords, attrs=dict(attrs or {}))
    skeleton.to_netcdf(path, engine=ENGINE)
    # non-index coordinates are named on each variable, as xarray does when it writes a dataset
    linked = " ".join(str(c) for c in skeleton.coords if c not in skeleton.dims)
    n_points, n_times = skeleton.sizes["point"], skeleton.sizes["time"]
    with h5netcdf.File(path, "a") as fh:
        handles = []
        for name, unit in variables:
            var = fh.create_variable(name, ("point", "time"), dtype="f8", fillvalue=np.nan,
                                     chunks=(max(1, min(POINTS_PER_HDF5_CHUNK, n_points)), max(1, n_times)))
            var.attrs["units"] = unit
            if linked:
                var.attrs["coordinates"] = linked
            handles.append(var)
        for ids, values in chunks:
            ids = np.asarray(ids, dtype=np.int64)
            if ids.size == 0:
                continue
            if np.all(np.diff(ids) == 1):      # a sweep chunk: consecutive points, one slab
                where = slice(int(ids[0]), int(ids[-1]) + 1)
            else:                               # HDF5 takes point lists in increasing order
                order = np.argsort(ids, kind="stable")
                where, values = ids[order], values[order]
            for k, var in enumerate(handles):
                var[where, :] = values[:, :, k]


def netcdf_engine(path):
    """The xarray engine that reads ``path``: netCDF-3 files ("CDF") through SciPy, others through h5netcdf."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    return "scipy" if magic[:3] == b"CDF" else ENGINE


def open_trajectories(path):
    """``path`` as an ``xarray.Dataset`` whose values are read from disk when used."""
    import xarray as xr
    return xr.open_dataset(path, engine=netcdf_engine(path))
