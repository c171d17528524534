/**
 * DICOM transfer syntaxes (PS3.5 §10, PS3.6 Annex A): what each UID is called, whether
 * scan2print decodes it, and how its pixel data is stored.
 *
 * `codec` names the decoder family used by decode-codecs.ts; `native` syntaxes store
 * pixels uncompressed (possibly after deflating the whole dataset), `encapsulated` ones
 * store one or more compressed fragments per frame.
 */
export type PixelCodec =
  | 'native'
  | 'rle'
  | 'jpeg-baseline'
  | 'jpeg-extended'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg2000'
  | 'htj2k';

export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  supported: boolean;
  encapsulated: boolean;
  /** Dataset encoding. */
  explicitVr: boolean;
  bigEndian: boolean;
  deflated: boolean;
  lossy: boolean;
  codec?: PixelCodec;
  /** Why an unsupported syntax is refused. */
  reason?: string;
}

function ts(
  uid: string,
  name: string,
  codec: PixelCodec | undefined,
  opts: Partial<Pick<TransferSyntaxInfo, 'explicitVr' | 'bigEndian' | 'deflated' | 'lossy' | 'reason'>> = {},
): TransferSyntaxInfo {
  const info: TransferSyntaxInfo = {
    uid,
    name,
    supported: codec !== undefined,
    encapsulated: codec !== undefined && codec !== 'native',
    explicitVr: opts.explicitVr ?? true,
    bigEndian: opts.bigEndian ?? false,
    deflated: opts.deflated ?? false,
    lossy: opts.lossy ?? false,
  };
  if (codec !== undefined) info.codec = codec;
  if (opts.reason !== undefined) info.reason = opts.reason;
  return info;
}

const RETIRED = 'retired JPEG process (hierarchical/spectral selection) with no maintained decoder';

const TABLE: TransferSyntaxInfo[] = [
  ts('1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native', { explicitVr: false }),
  ts('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'),
  ts('1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian', undefined, {
    reason: 'encapsulated uncompressed pixel data is not supported',
  }),
  ts('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'native', { deflated: true }),
  ts('1.2.840.10008.1.2.2', 'Explicit VR Big Endian (retired)', 'native', { bigEndian: true }),
  ts('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  ts('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg-baseline', { lossy: true }),
  ts('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg-extended', { lossy: true }),
  ts('1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 & 5) (retired)', undefined, { lossy: true, reason: RETIRED }),
  ts('1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (retired)', undefined, {
    lossy: true,
    reason: RETIRED,
  }),
  ts('1.2.840.10008.1.2.4.54', 'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9) (retired)', undefined, {
    lossy: true,
    reason: RETIRED,
  }),
  ts('1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (retired)', undefined, {
    lossy: true,
    reason: RETIRED,
  }),
  ts('1.2.840.10008.1.2.4.56', 'JPEG Full Progression, Non-Hierarchical (Process 11 & 13) (retired)', undefined, {
    lossy: true,
    reason: RETIRED,
  }),
  ts('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.58', 'JPEG Lossless, Non-Hierarchical (Process 15) (retired)', undefined, { reason: RETIRED }),
  ts('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
  ts('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless)', 'jpeg-ls', { lossy: true }),
  ts('1.2.840.10008.1.2.4.90', 'JPEG 2000 (Lossless Only)', 'jpeg2000'),
  ts('1.2.840.10008.1.2.4.91', 'JPEG 2000', 'jpeg2000', { lossy: true }),
  ts('1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component (Lossless Only)', undefined, {
    reason: 'JPEG 2000 Part 2 multi-component is not supported',
  }),
  ts('1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component', undefined, {
    lossy: true,
    reason: 'JPEG 2000 Part 2 multi-component is not supported',
  }),
  ts('1.2.840.10008.1.2.4.94', 'JPIP Referenced', undefined, { reason: 'pixel data is not in the file (JPIP reference)' }),
  ts('1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate', undefined, {
    deflated: true,
    reason: 'pixel data is not in the file (JPIP reference)',
  }),
  ts('1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level', undefined, { lossy: true, reason: 'video' }),
  ts('1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level', undefined, { lossy: true, reason: 'video' }),
  ts('1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', undefined, { lossy: true, reason: 'video' }),
  ts('1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', undefined, { lossy: true, reason: 'video' }),
  ts('1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', undefined, { lossy: true, reason: 'video' }),
  ts('1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', undefined, { lossy: true, reason: 'video' }),
  ts('1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', undefined, { lossy: true, reason: 'video' }),
  ts('1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', undefined, { lossy: true, reason: 'video' }),
  ts('1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1', undefined, { lossy: true, reason: 'video' }),
  ts('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 (Lossless Only)', 'htj2k'),
  ts('1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', 'htj2k'),
  ts('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000', 'htj2k', { lossy: true }),
];

const BY_UID = new Map(TABLE.map((t) => [t.uid, t]));

/** All known transfer syntaxes, in PS3.6 order. */
export const TRANSFER_SYNTAXES: readonly TransferSyntaxInfo[] = TABLE;

/** The entry for `uid`, or an unsupported placeholder naming the unknown UID. */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo {
  const known = BY_UID.get(uid);
  if (known) return known;
  return ts(uid, 'unknown transfer syntax', undefined, { reason: 'not a transfer syntax scan2print knows' });
}

export function isTransferSyntaxSupported(uid: string): boolean {
  return transferSyntaxInfo(uid).supported;
}

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

/**
 * Whether an image's pixels went through lossy compression: its transfer syntax is lossy, or
 * LossyImageCompression (0028,2110) says "01" (lossy once, stored uncompressed since).
 */
export function isLossy(inst: { transferSyntaxUid: string; lossyImageCompression?: string }): boolean {
  return inst.lossyImageCompression === '01' || transferSyntaxInfo(inst.transferSyntaxUid).lossy;
}
