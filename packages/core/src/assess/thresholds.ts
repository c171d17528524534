/**
 * Thresholds of the input assessment, in one place so the report can cite them.
 * HU = Hounsfield units; mm along the patient axes.
 */

/** ISO/IEC 3532-1 6.2: slice interval above 1 mm degrades the model (tolerance for IPP rounding). */
export const THICK_SLICE_STEP_MM = 1.0;
export const THICK_SLICE_TOLERANCE_MM = 0.01;
/** Fewer slices than this cannot make a meaningful 3D model (error). */
export const MIN_SLICES_ERROR = 3;
/** Fewer slices than this is a very short volume (warning). */
export const MIN_SLICES_WARN = 20;
/** In-plane pixel spacing above this is coarse for a printed model (the CT bone edge is ~2 mm wide). */
export const LOW_RESOLUTION_PIXEL_MM = 1.0;
/** Slice step above this is low resolution along the slice axis (besides THICK_SLICES). */
export const LOW_RESOLUTION_STEP_MM = 3.0;

/** Histogram range and bin width for the HU checks. */
export const HIST_MIN_HU = -1200;
export const HIST_MAX_HU = 3200;
export const HIST_BIN_HU = 10;
/**
 * Tissue peaks a CT histogram should show: air near −1000, fat near −100, soft tissue
 * near +40 HU. A class counts as present when the smoothed histogram has a local
 * maximum inside its window holding at least PEAK_MIN_FRACTION of the in-range voxels
 * within ±PEAK_HALF_WIDTH_HU of it. Phantoms often lack fat, so NOT_CT needs two of the
 * three classes missing (or air missing and soft tissue missing).
 */
export const AIR_WINDOW_HU: [number, number] = [-1100, -850];
export const FAT_WINDOW_HU: [number, number] = [-200, -40];
export const SOFT_TISSUE_WINDOW_HU: [number, number] = [-20, 100];
export const PEAK_HALF_WIDTH_HU = 60;
export const PEAK_MIN_FRACTION = 0.002;
/** A peak must rise this factor above the lowest smoothed count within ±PEAK_VALLEY_HU on each side (a flat histogram has no peaks). */
export const PEAK_PROMINENCE = 1.2;
export const PEAK_VALLEY_HU = 150;
export const NOT_CT_MISSING_CLASSES = 2;

/**
 * NOT_HU: rescaled CT has air at about −1000 HU (around the patient, in airways and
 * bowel). When under this fraction of voxels lies below −500 HU, the values look like
 * unrescaled stored values (air near 0), not HU.
 */
export const NOT_HU_AIR_HU = -500;
export const NOT_HU_MAX_AIR_FRACTION = 0.001;

/** METAL: voxels above this are far above cortical bone (~1800–2000 HU). */
export const METAL_HU = 3000;
/** … and this many voxels (mm³ scaled) make a metal object rather than noise. */
export const METAL_MIN_VOLUME_MM3 = 20;

/**
 * TRUNCATED_FOV: a high-density structure touching the in-plane border. 700 HU is dense
 * (cortical) bone; scanner tables and head holders (carbon fibre, plastics) stay below
 * ~500 HU, so they do not raise it (the 1 mm phantom's holder reaches 451 HU at the edge).
 */
export const TRUNCATION_BONE_HU = 700;
/** Border voxels above TRUNCATION_BONE_HU, as mm² of border surface, to report. */
export const TRUNCATION_MIN_AREA_MM2 = 25;

/**
 * SLICE_OUTLIER: a pixel is an impulse when it jumps more than SLICE_OUTLIER_JUMP_HU from
 * both slices beside it (same sign) and from one of its in-plane row neighbours. Real
 * anatomy changes smoothly within a slice, so even thin plates crossing one thick slice
 * do not count; random bytes in the pixel data do. Measured: 0 impulse pixels in every
 * slice of every series in shared/data/ct and of example_ct_dicom; 525 in a Philips
 * slice with 2000 random bytes written into its pixel data.
 */
export const SLICE_OUTLIER_JUMP_HU = 1000;
/** A slice is an outlier with at least this many impulse pixels … */
export const SLICE_OUTLIER_MIN_PIXELS = 50;
/** … and this many times the median count over all slices. */
export const SLICE_OUTLIER_RATIO = 10;

/**
 * From this median slice step the THICK_SLICES finding also says what it does to thin bone. A
 * wall thinner than the slice step reaches its full density in no slice, and edge placement
 * sizes a thin wall from its profile's area over the bone's density, read where the bone is
 * thick: measured on phantoms (exact blur σ 0.6 mm, noise 15 HU, 0.5 mm pixels; issue 8's note),
 * at 3 mm steps a 6 mm plate tilted 15° came out 0.40 mm thin, at 4 mm steps 3-6 mm plates
 * 0.41-0.64 mm thick (a flat 3 mm plate read 1041 HU for 1200), at 5 mm 1.25-1.29 mm thick.
 * Thinner plates too (exact blur σ 0.5 mm, noise 20 HU, 0.7×0.7×3 mm, the fortieth session's
 * note): 1.5-3 mm plates tilted 30° came out 0.14-0.26 mm thick (+5 to +25 % volume), flat
 * ones within 0.23 mm. At 2 mm steps walls of 1.5-3 mm are within 0.06 mm, but a flat plate's
 * volume moves ±5 % with its phase against the slices (its rims): the plain THICK_SLICES text.
 */
export const THIN_BONE_SLICE_STEP_MM = 3;
export const THIN_BONE_IN_THICK_SLICES =
  '; bone thinner than the slice step is sized from a density no slice shows in full: on phantoms at 3-5 mm steps, plates 1.5-6 mm thick came out 0.4 mm thinner to 1.3 mm thicker';
