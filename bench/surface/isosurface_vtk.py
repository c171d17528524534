#!/usr/bin/python3
"""vtkFlyingEdges3D on a raw int16/float32 volume written by isosurface.mjs (the peer for bench/surface).

usage: isosurface_vtk.py VOLUME.raw VOLUME.json LEVEL THREADS RUNS
Prints one JSON line: {"wall_ms": [...], "triangles": n, "points": n, "backend": ..., "threads": n}.
Only the filter's Update() is timed (the volume is already in memory), normals and scalars off:
the same work as our extractor (positions + triangles).
"""
import json
import sys
import time

import numpy as np
from vtkmodules.util import numpy_support
from vtkmodules.vtkCommonCore import vtkSMPTools
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkFiltersCore import vtkFlyingEdges3D


def main() -> None:
    raw, meta_path, level, threads, runs = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    meta = json.load(open(meta_path))
    nx, ny, nz = meta["dims"]
    data = np.fromfile(raw, dtype=meta.get("dtype", "<i2"))
    assert data.size == nx * ny * nz, "raw size does not match dims"
    smp = vtkSMPTools()
    if threads > 0:
        smp.Initialize(threads)
    img = vtkImageData()
    img.SetDimensions(nx, ny, nz)
    img.SetSpacing(*meta["spacing_mm"])
    img.SetOrigin(*meta["origin_mm"])
    arr = numpy_support.numpy_to_vtk(data, deep=True)
    arr.SetName("HU")
    img.GetPointData().SetScalars(arr)
    times = []
    out = None
    for _ in range(runs):
        fe = vtkFlyingEdges3D()
        fe.SetInputData(img)
        fe.SetValue(0, level)
        fe.ComputeNormalsOff()
        fe.ComputeGradientsOff()
        fe.ComputeScalarsOff()
        t0 = time.perf_counter()
        fe.Update()
        times.append((time.perf_counter() - t0) * 1000.0)
        out = fe.GetOutput()
    print(json.dumps({
        "wall_ms": times,
        "triangles": out.GetNumberOfPolys(),
        "points": out.GetNumberOfPoints(),
        "backend": smp.GetBackend(),
        "threads": smp.GetEstimatedNumberOfThreads(),
    }))


if __name__ == "__main__":
    main()
