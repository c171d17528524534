"""One timed run of the same clean-up with Debian's python3-scipy ndimage:
threshold -> label (26-connected) + drop islands < MIN mm3 -> binary_fill_holes
(6-connected background, scipy's default) -> closing with the same ball element
(offsets with (a*sx)^2+(b*sy)^2+(c*sz)^2 <= r^2) on an edge-replicated margin of
2P+1 voxels, then cropped (the border rule scan2print uses: an object cut by the
border continues beyond it). Then a closing with a larger ball (closeLarge_mm) on the
filled mask, timed on its own. Prints per-step milliseconds as JSON; writes the masks.
Usage: /usr/bin/python3 bench/segment/peer_scipy.py volume.raw meta.json out.mask"""
import json, sys, time
import numpy as np
from scipy import ndimage as ndi

raw, meta_path, out_path = sys.argv[1:4]
meta = json.load(open(meta_path))
nx, ny, nz = meta['grid']['dims']
sx, sy, sz = meta['grid']['spacing_mm']
vol = np.fromfile(raw, dtype='<i2').reshape(nz, ny, nx)  # memory order: i fastest
ms = {}
t = time.perf_counter()
def lap(name):
    global t
    n = time.perf_counter()
    ms[name] = round((n - t) * 1000, 1)
    t = n

mask = (vol >= meta['threshold_HU']) & (vol <= 3071)
lap('threshold')
lab, n = ndi.label(mask, structure=np.ones((3, 3, 3), bool))
sizes = np.bincount(lab.ravel())
keep = sizes * (sx * sy * sz) >= meta['minIsland_mm3']
keep[0] = False
mask = keep[lab]
lap('components')
mask = ndi.binary_fill_holes(mask)
lap('fillHoles3d')
def closing(mask, r):
    P = [int(np.floor(r / s + 1e-9)) for s in (sz, sy, sx)]  # array axes: k, j, i
    kk, jj, ii = np.mgrid[-P[0]:P[0] + 1, -P[1]:P[1] + 1, -P[2]:P[2] + 1]
    ball = (kk * sz) ** 2 + (jj * sy) ** 2 + (ii * sx) ** 2 <= r * r * (1 + 1e-6)
    pad = [(2 * p + 1, 2 * p + 1) for p in P]
    m = np.pad(mask, pad, mode='edge')
    m = ndi.binary_erosion(ndi.binary_dilation(m, structure=ball), structure=ball)
    return m[pad[0][0]:-pad[0][1], pad[1][0]:-pad[1][1], pad[2][0]:-pad[2][1]], int(ball.sum())

filled = mask
mask, element = closing(filled, meta['close_mm'])
lap('closing')
ms['total'] = round(sum(ms.values()), 1)
t = time.perf_counter()
large, element_large = closing(filled, meta['closeLarge_mm'])
lap('closingLarge')
mask.astype(np.uint8).tofile(out_path)
large.astype(np.uint8).tofile(out_path + '.large')
print(json.dumps({'ms': ms, 'voxels': int(mask.sum()), 'voxelsLarge': int(large.sum()), 'element_voxels': element, 'element_voxels_large': element_large}))
