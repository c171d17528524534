/** A part as `scan2print prepare --json` lists it: the fields the prepare specs read. */
export interface PartJson {
  file: string;
  bbox_mm: { min: number[]; max: number[] };
  size_mm: number[];
  volume_mm3: number;
  closed: boolean;
  manifold: boolean;
  fits: boolean;
  printTransform: { rotation: number[]; translation: [number, number, number] };
}
