"""The peer pipeline for bench/convert: the same steps as `scan2print convert` done with
VTK's C++ filters (Debian python3-vtk9), Slicer-style: read DICOM, threshold, discrete
flying edges, windowed-sinc smoothing (40 iterations, passband 0.01), normals,
quadric decimation (skipped when TARGET_REDUCTION is 0), binary STL.
Usage: vtk_pipeline.py DICOM_DIR OUT.stl THRESHOLD TARGET_REDUCTION
With VTK_STEP_TIMES=1 each filter is brought up to date on its own, in pipeline order (the same
work: each runs once either way), and its wall time goes to stderr as one line,
`steps_ms {"read": ..., ...}`, for bench/convert/steps.mjs."""
import json
import os
import sys
import time
import vtk

src, out, thr, reduction = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
reader = vtk.vtkDICOMImageReader()
reader.SetDirectoryName(src)
t_read = time.perf_counter()
reader.Update()
t_read = time.perf_counter() - t_read
th = vtk.vtkImageThreshold()
th.SetInputConnection(reader.GetOutputPort())
th.ThresholdBetween(thr, 3071)
th.SetInValue(1)
th.SetOutValue(0)
th.SetOutputScalarTypeToUnsignedChar()
fe = vtk.vtkDiscreteFlyingEdges3D()
fe.SetInputConnection(th.GetOutputPort())
fe.SetValue(0, 1)
fe.ComputeNormalsOff()
sm = vtk.vtkWindowedSincPolyDataFilter()
sm.SetInputConnection(fe.GetOutputPort())
sm.SetNumberOfIterations(40)
sm.SetPassBand(0.01)
sm.BoundarySmoothingOff()
sm.FeatureEdgeSmoothingOff()
sm.NonManifoldSmoothingOn()
sm.NormalizeCoordinatesOn()
last = sm
if reduction > 0:
    dec = vtk.vtkQuadricDecimation()
    dec.SetInputConnection(sm.GetOutputPort())
    dec.SetTargetReduction(reduction)
    last = dec
# Slicer computes normals before writing (consistent orientation, splitting off).
nm = vtk.vtkPolyDataNormals()
nm.SetInputConnection(last.GetOutputPort())
nm.SplittingOff()
nm.ConsistencyOn()
w = vtk.vtkSTLWriter()
w.SetInputConnection(nm.GetOutputPort())
w.SetFileName(out)
w.SetFileTypeToBinary()
if os.environ.get('VTK_STEP_TIMES') == '1':
    steps = {'read': round(1000 * t_read, 1)}  # read above, as without VTK_STEP_TIMES
    named = [('threshold', th), ('flying-edges', fe), ('smooth', sm)]
    named += [('decimate', last)] if reduction > 0 else []
    for name, f in named + [('normals', nm)]:
        t0 = time.perf_counter()
        f.Update()
        steps[name] = round(1000 * (time.perf_counter() - t0), 1)
    t0 = time.perf_counter()
    w.Write()
    steps['write-stl'] = round(1000 * (time.perf_counter() - t0), 1)
    print('steps_ms ' + json.dumps(steps), file=sys.stderr)
else:
    w.Write()
print(nm.GetOutput().GetNumberOfPolys())
