"""The peer pipeline for bench/convert: the same steps as `scan2print convert` done with
VTK's C++ filters (Debian python3-vtk9), Slicer-style: read DICOM, threshold, discrete
flying edges, windowed-sinc smoothing (40 iterations, passband 0.01), normals,
quadric decimation (skipped when TARGET_REDUCTION is 0), binary STL.
Usage: vtk_pipeline.py DICOM_DIR OUT.stl THRESHOLD TARGET_REDUCTION"""
import sys
import vtk

src, out, thr, reduction = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
reader = vtk.vtkDICOMImageReader()
reader.SetDirectoryName(src)
reader.Update()
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
w.Write()
print(nm.GetOutput().GetNumberOfPolys())
