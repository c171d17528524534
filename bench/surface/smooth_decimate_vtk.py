#!/usr/bin/python3
"""VTK peers for bench/surface smoothing and decimation, on a PLY written by smooth-decimate.mjs.

usage: smooth_decimate_vtk.py MESH.ply smooth|decimate PARAM OUT.ply
  smooth PARAM   = iterations (pass band 0.01; 3D Slicer's settings: boundary and feature-edge
                   smoothing off, non-manifold smoothing on, coordinate normalisation on)
  decimate PARAM = target reduction in (0, 1) (vtkQuadricDecimation defaults otherwise)
Prints one JSON line: {"wall_ms": n, "triangles": n, "points": n, "volume_mm3": v}.
Only Update() is timed (the mesh is already in memory). The output is written to OUT.ply
(binary) so the caller can check its topology and distances with the same code as ours.
"""
import json
import sys
import time

from vtkmodules.vtkFiltersCore import vtkMassProperties, vtkQuadricDecimation, vtkTriangleFilter, vtkWindowedSincPolyDataFilter
from vtkmodules.vtkIOPLY import vtkPLYReader, vtkPLYWriter


def main() -> None:
    path, op, param, out_path = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    reader = vtkPLYReader()
    reader.SetFileName(path)
    reader.Update()
    mesh = reader.GetOutput()
    if op == "smooth":
        f = vtkWindowedSincPolyDataFilter()
        f.SetNumberOfIterations(int(param))
        f.SetPassBand(0.01)
        f.BoundarySmoothingOff()
        f.FeatureEdgeSmoothingOff()
        f.NonManifoldSmoothingOn()
        f.NormalizeCoordinatesOn()
    else:
        f = vtkQuadricDecimation()
        f.SetTargetReduction(param)
    f.SetInputData(mesh)
    t0 = time.perf_counter()
    f.Update()
    ms = (time.perf_counter() - t0) * 1000
    out = f.GetOutput()
    tri = vtkTriangleFilter()
    tri.SetInputData(out)
    tri.Update()
    mp = vtkMassProperties()
    mp.SetInputData(tri.GetOutput())
    mp.Update()
    w = vtkPLYWriter()
    w.SetFileName(out_path)
    w.SetFileTypeToBinary()
    w.SetInputData(out)
    w.Write()
    print(json.dumps({"wall_ms": ms, "triangles": out.GetNumberOfPolys(), "points": out.GetNumberOfPoints(), "volume_mm3": mp.GetVolume()}))


if __name__ == "__main__":
    main()
