"""The peer pipeline for bench/convert: the same steps as `scan2print convert` done with
VTK's C++ filters (Debian python3-vtk9), Slicer-style: read DICOM, threshold, discrete
flying edges, windowed-sinc smoothing (40 iterations, passband 0.01), quadric
decimation, STL. Usage: vtk_pipeline.py DICOM_DIR OUT.stl THRESHOLD TARGET_REDUCTION"""
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
dec = vtk.vtkQuadricDecimation()
dec.SetInputConnection(sm.GetOutputPort())
dec.SetTargetReduction(reduction)
w = vtk.vtkSTLWriter()
w.SetInputConnection(dec.GetOutputPort())
w.SetFileName(out)
w.SetFileTypeToBinary()
w.Write()
print(dec.GetOutput().GetNumberOfPolys())
