/**
 * The anatomical graph, as versioned data: bone structures with the features a CT region of
 * that structure is expected to have, the relations between structures, and which structures
 * each body region holds. Every entry names its sources; where a range is our estimate (not a
 * published figure) the entry says so in `estimate`.
 *
 * Frame: DICOM LPS (+x patient's left, +y posterior, +z superior). Features (anatomy/features.ts):
 *   bodyWidth_mm  left–right width of the body (filled, supports removed) at the region's levels;
 *   lateral       (x − mid-sagittal x) / (body half-width): 0 on the midline, ±1 at the skin
 *                 (the sign is the side; the range is of its absolute value);
 *   anterior      (y − body centre y) / (body half-depth): −1 anterior skin, +1 posterior skin;
 *   widthFraction the region's x extent / body width; fill: volume / bounding-box volume;
 *   volume_cm3    of a whole structure (a region may be a piece of one: only the upper bound binds);
 *   air           fraction of the body's cross-section that is air (< −400 HU) at the region's
 *                 levels: lungs make the thorax; the head, abdomen, pelvis and legs hold little.
 * Adult ranges; a child's scan is smaller (a limitation, recorded in the stage notes).
 */
import type { AnatomyGraph } from './graph.js';

/** Sources cited by the entries below. */
const SOURCES = {
  gray: 'Standring S (ed.), Gray’s Anatomy, 42nd ed., Elsevier 2020 (positions and relations of the bones)',
  ts: 'Wasserthal J et al., TotalSegmentator, Radiology: AI 2023;5(5):e230024 — class list labelmap_total_v2 (structure ↔ label names)',
  tsRef: 'measured here: TotalSegmentator reference labels of labelled/totalsegmentator/example_ct (3 mm), label volumes and centroids',
  ansur: 'Gordon CC et al., 2012 Anthropometric Survey of US Army Personnel (ANSUR II), NATICK/TR-15/007, 2014 (head breadth, chest breadth, hip breadth)',
  hu: 'Schneider W et al., Phys Med Biol 2000;45:459–478 (HU of cortical bone ≈ 1000–1900, cancellous/marrow ≈ 100–400)',
  est: 'estimate (scan2print): no published figure used; set from the feature definitions and the measured references above',
} as const;

const DISTAL = new Set(['patella_left', 'patella_right', 'tibia_left', 'tibia_right', 'fibula_left', 'fibula_right']);

export const ANATOMY_GRAPH: AnatomyGraph = {
  version: '2026.12-1',
  frame: 'DICOM LPS: +x patient left, +y posterior, +z superior; millimetres',
  sources: SOURCES,
  regions: [
    { name: 'head', structures: ['skull', 'mandible'], bodyWidth_mm: [110, 240], sources: ['ansur', 'est'], estimate: 'upper bound allows a head holder not fully removed' },
    { name: 'neck', structures: ['cervical_spine'], bodyWidth_mm: [80, 200], sources: ['ansur', 'est'], estimate: 'range' },
    { name: 'thorax', structures: ['thoracic_spine', 'ribs_left', 'ribs_right', 'sternum', 'clavicle_left', 'clavicle_right', 'scapula_left', 'scapula_right', 'humerus_left', 'humerus_right'], bodyWidth_mm: [220, 620], sources: ['ansur', 'est'], estimate: 'upper bound: arms beside the trunk' },
    { name: 'abdomen', structures: ['lumbar_spine'], bodyWidth_mm: [220, 620], sources: ['ansur', 'est'], estimate: 'upper bound: arms beside the trunk' },
    { name: 'pelvis', structures: ['sacrum', 'hip_left', 'hip_right'], bodyWidth_mm: [240, 620], sources: ['ansur', 'est'], estimate: 'range' },
    { name: 'legs', structures: ['femur_left', 'femur_right', 'patella_left', 'patella_right', 'tibia_left', 'tibia_right', 'fibula_left', 'fibula_right'], bodyWidth_mm: [150, 620], sources: ['ansur', 'est'], estimate: 'lower bound: the knees and shanks' },
  ],
  structures: [
    {
      name: 'skull', group: 'skull', side: null, region: 'head', color: '#E8DCC0', multipart: false,
      totalSegmentator: ['skull'],
      // boneSpan ≥ 0.68: at every level of the skull its own bone spans most of the head's width (the calvarial ring;
      // at the base the mastoids and zygomatic arches, ANSUR bizygomatic breadth ≈ 140 mm of a ≈ 155 mm head), while
      // the atlas below the skull base spans little more than half the neck (measured on ge-head-tilt: C1 pieces
      // 0.51–0.56, every skull piece ≥ 0.65). Without it C1 tied with the skull on every feature and took its name.
      features: { bodyWidth_mm: [110, 240], lateral: [0, 0.9], anterior: [-1, 1], widthFraction: [0.55, 1.05], volume_cm3: [5, 1100], meanHU: [150, 1600], air: [0, 1], boneSpan: [0.68, 1] },
      sources: ['gray', 'ansur', 'hu', 'est'], estimate: 'volume (cranium with diploë filled), width fraction and the boneSpan bound are estimates',
    },
    {
      name: 'mandible', group: 'mandible', side: null, region: 'head', color: '#D9C7A0', multipart: false,
      totalSegmentator: [],
      features: { bodyWidth_mm: [90, 240], lateral: [0, 0.2], anterior: [-1, -0.05], widthFraction: [0.3, 0.9], volume_cm3: [5, 110], meanHU: [150, 1600], air: [0, 1] },
      sources: ['gray', 'est'], estimate: 'volume range (adult mandible ≈ 40–80 cm³) is an estimate; not a TotalSegmentator total-task class',
    },
    {
      name: 'cervical_spine', group: 'cervical_spine', side: null, region: 'neck', color: '#C9B48A', multipart: true,
      totalSegmentator: ['vertebrae_C1', 'vertebrae_C2', 'vertebrae_C3', 'vertebrae_C4', 'vertebrae_C5', 'vertebrae_C6', 'vertebrae_C7'],
      features: { bodyWidth_mm: [80, 240], lateral: [0, 0.2], anterior: [-0.3, 0.8], widthFraction: [0.1, 0.7], volume_cm3: [0.5, 160], meanHU: [150, 1600], air: [0, 1], pieceMax_cm3: 40 },
      sources: ['gray', 'ts', 'est'], estimate: 'volume and widths are estimates',
    },
    {
      name: 'thoracic_spine', group: 'thoracic_spine', side: null, region: 'thorax', color: '#BFA878', multipart: true,
      totalSegmentator: ['vertebrae_T1', 'vertebrae_T2', 'vertebrae_T3', 'vertebrae_T4', 'vertebrae_T5', 'vertebrae_T6', 'vertebrae_T7', 'vertebrae_T8', 'vertebrae_T9', 'vertebrae_T10', 'vertebrae_T11', 'vertebrae_T12'],
      features: { bodyWidth_mm: [200, 620], lateral: [0, 0.15], anterior: [-0.2, 0.85], widthFraction: [0.04, 0.3], volume_cm3: [0.5, 900], meanHU: [150, 1600], air: [0, 0.9], pieceMax_cm3: 70, ribLevel: [0.5, 1] },
      sources: ['gray', 'ts', 'est'], estimate: 'volume and widths are estimates',
    },
    {
      name: 'lumbar_spine', group: 'lumbar_spine', side: null, region: 'abdomen', color: '#B39C6C', multipart: true,
      totalSegmentator: ['vertebrae_L1', 'vertebrae_L2', 'vertebrae_L3', 'vertebrae_L4', 'vertebrae_L5'],
      // No ribLevel bound: the floating ribs run down beside L1 and L2 (their tips reach L2–L3, Gray's); on example_ct the
      // rib levels reach z 349 mm and L1 lies at 352–403, so the bound ≤ 0.5 of 2026.11-7 named 96–98 % of L1 thoracic.
      // What tells a lumbar vertebra is that no rib articulates with it (the 'apart' relation with the ribs).
      // stackHeight_mm: five vertebrae, each body ≥ 25 mm tall, and four discs of ≥ 7.5 mm (Gray's) make ≥ 155 mm from
      // L1's top to L5's bottom (measured on example_ct: 183 mm); bound once the thoracic spine and the sacrum are both
      // named. Without it the T12/L1 level was free between the lowest rib head and mid-L1 (L1 88 % named thoracic).
      features: { bodyWidth_mm: [200, 620], lateral: [0, 0.15], anterior: [-0.15, 0.8], widthFraction: [0.08, 0.35], volume_cm3: [0.5, 450], meanHU: [150, 1600], air: [0, 0.08], pieceMax_cm3: 130, stackHeight_mm: [155, 230] },
      sources: ['gray', 'ts', 'tsRef', 'est'], estimate: 'volume: 5 × the measured 66 cm³ per lumbar vertebra, with margin; stackHeight_mm from vertebral body and disc heights (lower bound) and 5 × 35 + 4 × 14 mm (upper)',
    },
    {
      name: 'sacrum', group: 'sacrum', side: null, region: 'pelvis', color: '#A89060', multipart: false,
      totalSegmentator: ['sacrum', 'vertebrae_S1'],
      // anterior ≥ 0.1: the sacrum is the back wall of the pelvis (Gray's); its most anterior part, the S1 body at the
      // promontory, measured 0.22–0.26 on example_ct. The pubic symphysis, also on the midline but in front (−0.2 to
      // −0.41 there), tied with it on every other feature and was named sacrum.
      features: { bodyWidth_mm: [220, 620], lateral: [0, 0.15], anterior: [0.1, 0.9], widthFraction: [0.1, 0.45], volume_cm3: [1, 400], meanHU: [150, 1600], air: [0, 0.06], boneSpan: [0.45, 1], ribLevel: [0, 0.3] },
      sources: ['gray', 'ts', 'tsRef', 'est'], estimate: 'volume: measured 159 + 48 cm³ (sacrum + S1), with margin; the anterior bound is set from the measured promontory with margin',
    },
    ...sided('ribs', 'thorax', '#E0C8A0', true, (s) => Array.from({ length: 12 }, (_, i) => `rib_${s}_${i + 1}`), {
      // ribLevel ≥ 0.5, as the thoracic spine's: every rib lies at levels of the rib cage (the floating ribs end behind
      // the costal margin, which reaches L3 in front, Gray's). Thin pieces of the iliac wing, as lateral and thin as a
      // rib but below the cage, tied with the hip and took the ribs' name by graph order (example_ct: 8 / 11 % of the
      // hip bones' voxels named ribs, ribs Dice 0.46 / 0.40).
      bodyWidth_mm: [200, 620], lateral: [0.25, 1.0], anterior: [-1, 0.9], widthFraction: [0, 0.5], volume_cm3: [0.1, 600], meanHU: [120, 1600], air: [0, 0.9], pieceMax_cm3: 20, areaMax_cm2: 3.5, compact: [0, 0.25], ribLevel: [0.5, 1],
    }, ['gray', 'ts', 'est'], 'ranges are estimates'),
    {
      name: 'sternum', group: 'sternum', side: null, region: 'thorax', color: '#D8C098', multipart: false,
      totalSegmentator: ['sternum'],
      features: { bodyWidth_mm: [200, 620], lateral: [0, 0.15], anterior: [-1, -0.5], widthFraction: [0.02, 0.2], volume_cm3: [2, 120], meanHU: [120, 1600], air: [0.05, 0.9], areaMax_cm2: 15 },
      sources: ['gray', 'ts', 'est'], estimate: 'ranges are estimates',
    },
    ...sided('clavicle', 'thorax', '#C8B090', false, (s) => [`clavicula_${s}`], {
      bodyWidth_mm: [200, 620], lateral: [0.15, 0.8], anterior: [-1, -0.1], widthFraction: [0.1, 0.45], volume_cm3: [1, 60], meanHU: [150, 1600], air: [0.05, 0.9], areaMax_cm2: 10,
    }, ['gray', 'ts', 'est'], 'ranges are estimates'),
    ...sided('scapula', 'thorax', '#B8A080', false, (s) => [`scapula_${s}`], {
      // ribLevel ≥ 0.5: the scapula lies on the back of the rib cage, over ribs 2–7 (Gray's). Pieces of the iliac wing,
      // lateral and posterior like it but below the cage, were named scapula (example_ct: 14 / 20 cm³).
      bodyWidth_mm: [200, 620], lateral: [0.3, 0.95], anterior: [0.1, 1], widthFraction: [0.05, 0.4], volume_cm3: [2, 250], meanHU: [150, 1600], air: [0.1, 0.9], ribLevel: [0.5, 1],
    }, ['gray', 'ts', 'est'], 'ranges are estimates'),
    ...sided('humerus', 'thorax', '#D0B488', false, (s) => [`humerus_${s}`], {
      bodyWidth_mm: [200, 620], lateral: [0.65, 1.05], anterior: [-0.8, 0.8], widthFraction: [0.02, 0.2], volume_cm3: [1, 350], meanHU: [150, 1600], air: [0, 0.9], compact: [0.25, 1], limb: [0, 1], longSpan: [0.3, 1],
    }, ['gray', 'ts', 'est'], 'ranges are estimates (arms beside the trunk; raised arms lie outside the trunk levels); longSpan: its shaft runs as one piece over ≥ 30 mm (or 30 % of a shorter scan)'),
    ...sided('hip', 'pelvis', '#C0A070', false, (s) => [`hip_${s}`], {
      // lateral from 0: the pubic bodies meet on the midline at the symphysis (Gray's). ribLevel ≤ 0.3: the pelvis lies
      // below the rib cage (the costal margin ends above the iliac crest, Gray's), so costal ends are not hip bone.
      // midlineBone [0, 1]: between the pubic symphysis and the coccyx (the acetabular levels) no bone need cross the
      // midline (measured on example_ct: z 123–135 mm). midlineAnterior ≤ −0.1: the two hip bones meet only at the
      // symphysis, in front; behind it the midline holds the sacrum and coccyx (Gray's). Midline pieces of the sacrum
      // (anterior 0.22–0.75 on example_ct) tied with the hip on every feature and took its name by contact.
      bodyWidth_mm: [220, 620], lateral: [0, 0.7], anterior: [-0.9, 0.8], widthFraction: [0.1, 0.5], volume_cm3: [5, 700], meanHU: [150, 1600], air: [0, 0.06], boneSpan: [0.4, 1], ribLevel: [0, 0.3], midlineBone: [0, 1], midlineAnterior: [-1, -0.1],
    }, ['gray', 'ts', 'tsRef', 'est'], 'volume: measured 355 cm³ per hip bone, with margin'),
    ...sided('femur', 'legs', '#F0D8A8', false, (s) => [`femur_${s}`], {
      // No midlineBone bound: the femoral head sits in the acetabulum and the greater trochanter at the level of the pubic
      // symphysis (Gray's), so the proximal femur, all an abdominopelvic CT holds, lies at levels with bone on the midline.
      // ribLevel ≤ 0.3 instead: the femur lies below the rib cage (an arm beside the chest does not).
      bodyWidth_mm: [150, 620], lateral: [0.2, 1.0], anterior: [-0.9, 0.6], widthFraction: [0.03, 0.35], volume_cm3: [2, 900], meanHU: [150, 1600], air: [0, 0.06], compact: [0.15, 1], limb: [0, 1], midlineBone: [0, 1], ribLevel: [0, 0.3],
    }, ['gray', 'ts', 'tsRef', 'est'], 'volume upper bound (whole adult femur with marrow) is an estimate'),
    ...sided('patella', 'legs', '#E8D0A0', false, () => [], {
      bodyWidth_mm: [150, 620], lateral: [0.1, 1.0], anterior: [-1, 0], widthFraction: [0.02, 0.3], volume_cm3: [2, 40], meanHU: [150, 1600], air: [0, 0.06], limb: [0.5, 1], midlineBone: [0, 0.4],
    }, ['gray', 'est'], 'ranges are estimates; not a TotalSegmentator total-task class'),
    ...sided('tibia', 'legs', '#E0C898', false, () => [], {
      bodyWidth_mm: [150, 620], lateral: [0.1, 1.0], anterior: [-1, 0.6], widthFraction: [0.03, 0.35], volume_cm3: [2, 600], meanHU: [150, 1600], air: [0, 0.06], limb: [0.5, 1], midlineBone: [0, 0.4],
    }, ['gray', 'est'], 'ranges are estimates; not a TotalSegmentator total-task class'),
    ...sided('fibula', 'legs', '#D0B890', false, () => [], {
      bodyWidth_mm: [150, 620], lateral: [0.2, 1.0], anterior: [-0.6, 1], widthFraction: [0.01, 0.15], volume_cm3: [1, 150], meanHU: [150, 1600], air: [0, 0.06], limb: [0.5, 1], areaMax_cm2: 6, midlineBone: [0, 0.4],
    }, ['gray', 'est'], 'ranges are estimates; not a TotalSegmentator total-task class'),
  ],
  relations: [
    { a: 'mandible', rel: 'inferior', b: 'skull', sources: ['gray'] },
    // Trunk and leg bones lie far below the skull base (ANSUR II: cervicale ≈ 1.5 m, iliac crest ≈ 1.05 m and
    // trochanter ≈ 0.9 m above the floor in adults): 'below' with a negative tolerance asks for that gap, with margin.
    { a: 'thoracic_spine', rel: 'below', b: 'skull', tol_mm: -50, sources: ['gray', 'ansur'] },
    { a: 'ribs_left', rel: 'below', b: 'skull', tol_mm: -50, sources: ['gray', 'ansur'] },
    { a: 'ribs_right', rel: 'below', b: 'skull', tol_mm: -50, sources: ['gray', 'ansur'] },
    { a: 'lumbar_spine', rel: 'below', b: 'skull', tol_mm: -200, sources: ['gray', 'ansur'] },
    { a: 'sacrum', rel: 'below', b: 'skull', tol_mm: -300, sources: ['gray', 'ansur'] },
    { a: 'hip_left', rel: 'below', b: 'skull', tol_mm: -300, sources: ['gray', 'ansur'] },
    { a: 'hip_right', rel: 'below', b: 'skull', tol_mm: -300, sources: ['gray', 'ansur'] },
    { a: 'femur_left', rel: 'below', b: 'skull', tol_mm: -400, sources: ['gray', 'ansur'] },
    { a: 'femur_right', rel: 'below', b: 'skull', tol_mm: -400, sources: ['gray', 'ansur'] },
    { a: 'cervical_spine', rel: 'inferior', b: 'skull', sources: ['gray'] },
    // C1 articulates with the occipital condyles, a little above the lowest point of the skull (palate, mastoids):
    // the cervical spine's top is at most 40 mm over the skull's bottom.
    { a: 'cervical_spine', rel: 'below', b: 'skull', tol_mm: 40, sources: ['gray', 'est'] },
    { a: 'thoracic_spine', rel: 'inferior', b: 'cervical_spine', sources: ['gray'] },
    { a: 'sacrum', rel: 'below', b: 'lumbar_spine', sources: ['gray'] },
    { a: 'lumbar_spine', rel: 'below', b: 'thoracic_spine', sources: ['gray'] },
    { a: 'thoracic_spine', rel: 'level', b: 'ribs_left', sources: ['gray'] },
    { a: 'thoracic_spine', rel: 'level', b: 'ribs_right', sources: ['gray'] },
    { a: 'hip_left', rel: 'below', b: 'ribs_left', tol_mm: 30, sources: ['gray', 'est'] },
    { a: 'sacrum', rel: 'below', b: 'thoracic_spine', sources: ['gray'] },
    { a: 'hip_right', rel: 'below', b: 'ribs_right', tol_mm: 30, sources: ['gray', 'est'] },
    { a: 'thoracic_spine', rel: 'touches', b: 'ribs_left', sources: ['gray'] },
    { a: 'thoracic_spine', rel: 'touches', b: 'ribs_right', sources: ['gray'] },
    { a: 'sacrum', rel: 'touches', b: 'hip_left', sources: ['gray'] },
    { a: 'sacrum', rel: 'touches', b: 'hip_right', sources: ['gray'] },
    { a: 'lumbar_spine', rel: 'apart', b: 'hip_left', sources: ['gray'] },
    { a: 'lumbar_spine', rel: 'apart', b: 'hip_right', sources: ['gray'] },
    { a: 'lumbar_spine', rel: 'apart', b: 'ribs_left', sources: ['gray'] },
    { a: 'lumbar_spine', rel: 'apart', b: 'ribs_right', sources: ['gray'] },
    { a: 'sternum', rel: 'anterior', b: 'thoracic_spine', sources: ['gray'] },
    { a: 'clavicle_left', rel: 'superior', b: 'ribs_left', sources: ['gray'] },
    { a: 'clavicle_right', rel: 'superior', b: 'ribs_right', sources: ['gray'] },
    // Required neighbours (Relation.required): the scapula lies over ribs 2–7 of its side and the clavicle meets the
    // scapula's acromion (Gray's), so neither is named in a scan without those (example_ct, abdomen and pelvis: iliac-wing
    // pieces were named scapula, costal cartilages clavicle, once the forest no longer vetoed structures it cannot name).
    { a: 'scapula_left', rel: 'level', b: 'ribs_left', required: true, sources: ['gray'] },
    { a: 'scapula_right', rel: 'level', b: 'ribs_right', required: true, sources: ['gray'] },
    { a: 'clavicle_left', rel: 'adjacent', b: 'scapula_left', required: true, sources: ['gray'] },
    { a: 'clavicle_right', rel: 'adjacent', b: 'scapula_right', required: true, sources: ['gray'] },
    // The femoral head lies in the acetabulum, below the sacral promontory and far below L5 (Gray's): the whole
    // femur is under the lumbar spine and its centroid under the sacrum's.
    { a: 'femur_left', rel: 'below', b: 'lumbar_spine', sources: ['gray'] },
    { a: 'femur_right', rel: 'below', b: 'lumbar_spine', sources: ['gray'] },
    { a: 'femur_left', rel: 'inferior', b: 'sacrum', sources: ['gray'] },
    { a: 'femur_right', rel: 'inferior', b: 'sacrum', sources: ['gray'] },
    // The greater trochanter is the most lateral bone of the hip region (bitrochanteric breadth, ANSUR's hip breadth,
    // exceeds the pelvis below the iliac crest); measured: femur centroids 101–102 mm from the midline, hips 76–77 mm.
    { a: 'femur_left', rel: 'lateral-to', b: 'hip_left', sources: ['gray', 'ansur', 'tsRef'] },
    { a: 'femur_right', rel: 'lateral-to', b: 'hip_right', sources: ['gray', 'ansur', 'tsRef'] },
    // The sacrum curves back: its centroid lies behind the lumbar bodies (measured 43 mm behind L5).
    { a: 'lumbar_spine', rel: 'anterior', b: 'sacrum', sources: ['gray', 'tsRef'] },
    { a: 'femur_left', rel: 'inferior', b: 'hip_left', sources: ['gray'] },
    { a: 'femur_right', rel: 'inferior', b: 'hip_right', sources: ['gray'] },
    { a: 'hip_left', rel: 'inferior', b: 'lumbar_spine', sources: ['gray'] },
    { a: 'hip_right', rel: 'inferior', b: 'lumbar_spine', sources: ['gray'] },
    { a: 'hip_left', rel: 'adjacent', b: 'sacrum', sources: ['gray'] },
    { a: 'hip_right', rel: 'adjacent', b: 'sacrum', sources: ['gray'] },
    { a: 'sacrum', rel: 'level', b: 'hip_left', sources: ['gray'] },
    { a: 'sacrum', rel: 'level', b: 'hip_right', sources: ['gray'] },
    // The iliac crests reach the L4 body (the supracristal plane, Gray's), so the lumbar spine's lowest vertebra, L5, lies
    // wholly at the levels of the iliac wings: the hip bone rises above the lumbar spine's bottom by at most two lumbar
    // vertebrae (measured on example_ct: 54 mm; before 2026.11-8 a tolerance of 25 mm made the crest pieces pay for
    // every level of L5 and moved them to other names) and by at least one vertebral body (~25 mm).
    { a: 'hip_left', rel: 'below', b: 'lumbar_spine', tol_mm: 70, sources: ['gray', 'tsRef', 'est'] },
    { a: 'hip_right', rel: 'below', b: 'lumbar_spine', tol_mm: 70, sources: ['gray', 'tsRef', 'est'] },
    { a: 'lumbar_spine', rel: 'overlaps', b: 'hip_left', tol_mm: 25, sources: ['gray', 'est'] },
    { a: 'lumbar_spine', rel: 'overlaps', b: 'hip_right', tol_mm: 25, sources: ['gray', 'est'] },
    { a: 'tibia_left', rel: 'inferior', b: 'femur_left', sources: ['gray'] },
    { a: 'tibia_right', rel: 'inferior', b: 'femur_right', sources: ['gray'] },
    { a: 'fibula_left', rel: 'inferior', b: 'femur_left', sources: ['gray'] },
    { a: 'fibula_right', rel: 'inferior', b: 'femur_right', sources: ['gray'] },
    { a: 'patella_left', rel: 'anterior', b: 'femur_left', sources: ['gray'] },
    { a: 'patella_right', rel: 'anterior', b: 'femur_right', sources: ['gray'] },
    // Arms beside the trunk put the elbow at about L2–L3, above the hip joints; raised arms lie above the shoulders
    // (Gray's): either way the humerus's centroid is above the hip bone's.
    { a: 'humerus_left', rel: 'superior', b: 'hip_left', sources: ['gray'] },
    { a: 'humerus_right', rel: 'superior', b: 'hip_right', sources: ['gray'] },
    // The humerus articulates only with the scapula (glenoid), the radius and the ulna (Gray's): it touches no pelvic
    // or spinal bone. Thin pieces of the iliac crest fit a humerus shaft's features as well as the hip's.
    ...(['left', 'right'] as const).flatMap((s) =>
      ['hip_left', 'hip_right', 'sacrum', 'lumbar_spine', 'femur_left', 'femur_right'].map((b) => ({ a: `humerus_${s}`, rel: 'apart' as const, b, sources: ['gray'] })),
    ),
    { a: 'humerus_left', rel: 'left-of', b: 'humerus_right', sources: ['gray'] },
    { a: 'femur_left', rel: 'left-of', b: 'femur_right', sources: ['gray'] },
    { a: 'hip_left', rel: 'left-of', b: 'hip_right', sources: ['gray'] },
    { a: 'ribs_left', rel: 'left-of', b: 'ribs_right', sources: ['gray'] },
  ],
  // The femoral head is two thirds of a sphere held by the acetabulum (Gray's); adult head diameters ≈ 40–55 mm.
  // The sacroiliac joints are synovial too, with a joint space between the auricular surfaces of the sacral ala and the
  // ilium (Gray's): the same flood from the named sacrum and hip meets there. The sacrum is the 'head' that takes back
  // its alae, which lie as far lateral as the iliac pieces beside them and were named hip (example_ct: 31 % of the
  // sacrum); radius 16 mm: reach 32 mm from the named sacrum, and at most a 16 mm ball's volume (17 cm³) per side.
  // The hip's flood reaches one largest radius per pass (2026.12-1), not one diameter: at a diameter the first pass went
  // over the left head into the acetabular roof (example_ct: 7 % of the left hip named femur; now 1 %).
  joints: [
    ...(['left', 'right'] as const).map((s) => ({ head: `femur_${s}`, socket: `hip_${s}`, radius_mm: [18, 30] as [number, number], reach_mm: 30, sources: ['gray', 'est'] })),
    ...(['left', 'right'] as const).map((s) => ({ head: 'sacrum', socket: `hip_${s}`, radius_mm: [16, 16] as [number, number], sources: ['gray', 'tsRef', 'est'] })),
  ],
  // The vertebral column (Gray's): each part meets the next at one disc (C7/T1, T12/L1, L5/S1).
  stacks: [['cervical_spine', 'thoracic_spine', 'lumbar_spine', 'sacrum']],
};

/** A left and a right structure with mirrored data (LPS: left is +x). */
function sided(
  base: string,
  region: string,
  color: string,
  multipart: boolean,
  ts: (side: 'left' | 'right') => string[],
  features: AnatomyGraph['structures'][number]['features'],
  sources: string[],
  estimate: string,
): AnatomyGraph['structures'] {
  return (['left', 'right'] as const).map((side) => ({
    name: `${base}_${side}`,
    group: `${base}_${side}`,
    side,
    region,
    color,
    multipart,
    totalSegmentator: ts(side),
    features,
    // Estimate: below-knee bones are seldom in the same field as the hips, the usual leg scan.
    ...(DISTAL.has(`${base}_${side}`) ? { logPrior: -2 } : {}),
    sources,
    estimate,
  }));
}
