/**
 * Option groups shared by several commands, declared once: segmentation options
 * (segment, convert) and mesh conditioning options (mesh, convert). Parsing lives in core
 * (pipeline/segment-args.ts, pipeline/condition-args.ts), shared with the server, and
 * convert's options are its job params (pipeline/convert-params.ts).
 */
import type { Command } from 'commander';
import { MESH_ARG_DEFAULTS, SMOOTH_DEFAULTS, type MeshArgs } from '@scan2print/core/job';

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function addSegmentationOptions(cmd: Command, opts: { defaultMethod: string }): Command {
  return cmd
    .option('--series <uid|number>', 'which DICOM series (default: the largest CT series)')
    .option('--preset <name>', 'named HU range: bone (226..3071), compact-bone-adult, compact-bone-child, spongial-bone-adult, enamel-adult, soft-tissue')
    .option('--threshold <spec>', `auto | N (N..3071) | N,M (range) | N1,N2,N3… (3+ values: several thresholds); repeat for several (default: ${opts.defaultMethod})`, collect)
    .option('--thresholds <list>', 'several lower thresholds, each N..3071, one label map each (e.g. 200,300)')
    .option('--soft <width>', 'soft (logistic) threshold of this width in HU centred on the threshold (its probability field places the surface)')
    .option('--seed <x,y,z>', 'region growing from this seed point (LPS mm); needs --range')
    .option('--seed-voxel <i,j,k>', 'region growing from this voxel index; needs --range')
    .option('--range <lo,hi>', 'HU range for region growing')
    .option('--crop <i0,j0,k0,i1,j1,k1>', 'crop to voxel indices [i0,i1)×[j0,j1)×[k0,k1) before segmenting (labels are written on the full grid)')
    .option('--crop-mm <x0,y0,z0,x1,y1,z1>', 'crop to a box given by two opposite corners in LPS mm')
    .option('--isotropic <mm|auto>', 'resample to isotropic spacing first (auto = finest axis), trilinear')
    .option('--median <r>', 'median filter, radius in voxels')
    .option('--gaussian <mm>', 'Gaussian smoothing, sigma in mm (one value or x,y,z)')
    .option('--window <lo,hi>', 'clamp HU to [lo, hi] first')
    .option('--min-island <mm3>', 'drop components smaller than this volume')
    .option('--keep <largest|all|N>', 'keep the largest, all, or the N largest components')
    .option('--fill-holes [mode]', 'fill holes: 3d (default: cavities not connected to the outside), 2d (per slice) or both; on a bone threshold also the marrow (--no-fill-marrow: the 3-D fill only)')
    .option('--fill-marrow', 'fill bone marrow cavities (holes enclosed by bone in slices of two axes; never the brain inside a skull)')
    .option('--no-fill-marrow', 'do not fill marrow cavities (convert fills them by default for --tissue bone)')
    .option('--close <mm>', 'morphological closing radius in mm')
    .option('--open <mm>', 'morphological opening radius in mm')
    .option('--connectivity <n>', 'component connectivity 6, 18 or 26 (default 26)');
}

/** Values of the mesh option group as commander hands them over (see addMeshOptions). */
export interface MeshOptionValues extends MeshArgs {
  ascii?: boolean;
  preview?: string;
}

export function addMeshOptions(cmd: Command): Command {
  return cmd
    .option('--smooth <n|none>', 'smoothing iterations, or "none"', MESH_ARG_DEFAULTS.smooth)
    .option('--smooth-method <method>', 'windowed-sinc or taubin (λ 0.5, μ −0.53)', MESH_ARG_DEFAULTS.smoothMethod)
    .option('--pass-band <k>', `windowed-sinc pass band in (0, 2); default ${SMOOTH_DEFAULTS.passBand} (3D Slicer uses 0.01: smoother, shrinks small features more)`)
    .option('--decimate <faces>', 'quadric decimation to about this many triangles')
    .option('--max-error <mm>', 'quadric decimation bounded by this error (mm; the measure counts the normals turning too, weight 0.5 mm per unit, so it stops short where a rim or ridge would be rounded)')
    .option('--min-shell <mm3>', 'drop shells enclosing less than this volume (mm³)', MESH_ARG_DEFAULTS.minShell)
    .option('--keep-cavities', 'keep internal voids (default: fill them; a closed void traps resin)')
    .option('--allow-open', 'export even when the mesh fails the printability gate (recorded as a warning)')
    .option('--ascii', 'ASCII STL instead of binary')
    .option('--preview <file>', 'also write a ~10k-face preview mesh for the web viewer');
}
