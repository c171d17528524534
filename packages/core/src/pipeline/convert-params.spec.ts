import { describe, expect, it } from 'vitest';
import { isScanError, type ScanError } from '../errors.js';
import { SMOOTH_DEFAULTS } from '../surface/smooth.js';
import { convertJobSettings, convertParamsJsonSchema, convertParamsSchema, type ConvertJobParams } from './convert-params.js';
import { CONVERT_MIN_ISLAND_MM3, convertSegmentationDefaults } from './defaults.js';

/** The usage error convertJobSettings throws for these params (fails the test when none is thrown). */
function refusal(params: unknown): ScanError {
  try {
    convertJobSettings(params as ConvertJobParams);
  } catch (e) {
    if (isScanError(e)) return e;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(params)}`);
}

describe('convert job params (one schema for the CLI and the server)', () => {
  it('no params: the default path (auto threshold, table removed, specks dropped, marrow filled, 40 windowed-sinc iterations, edge placement)', () => {
    const d = convertSegmentationDefaults('bone');
    expect(convertJobSettings({})).toEqual({
      segmentation: { ...d, preprocess: {}, cleanup: { ...d.cleanup, stats: true } },
      condition: {
        name: 'bone',
        smooth: { method: 'windowed-sinc', iterations: SMOOTH_DEFAULTS.iterations },
        minShell_mm3: 1,
        keepCavities: false,
        allowOpen: false,
      },
      placement: 'edge',
      tissue: 'bone',
      force: false,
    });
    expect(convertJobSettings({}).segmentation.cleanup?.minIsland_mm3).toBe(CONVERT_MIN_ISLAND_MM3);
    // The CLI's own defaults, as commander hands them over (text), give the same job.
    const asTyped = { smooth: '40', smoothMethod: 'windowed-sinc', minShell: '1', tissue: 'bone' };
    expect(convertJobSettings(asTyped)).toEqual(convertJobSettings({}));
  });

  it('marrow is filled for bone only, and not when fillMarrow is false; keepTable keeps the table', () => {
    expect(convertJobSettings({ tissue: 'vessels' }).segmentation.cleanup?.fillMarrow).toBeUndefined();
    expect(convertJobSettings({ fillMarrow: false }).segmentation.cleanup?.fillMarrow).toBeUndefined();
    expect(convertJobSettings({ tissue: 'vessels', fillMarrow: true }).segmentation.cleanup?.fillMarrow).toBe(true);
    expect(convertJobSettings({ keepTable: true }).segmentation.cleanup?.removeTable).toBeUndefined();
    expect(convertJobSettings({ tissue: 'vessels' }).condition.name).toBe('vessels');
  });

  it('faint components are removed with the automatic threshold unless keepFaint (--keep-faint); a fixed threshold keeps them', () => {
    expect(convertJobSettings({}).segmentation.cleanup?.rejectFaint).toBe(true);
    expect(convertJobSettings({ keepFaint: true }).segmentation.cleanup?.rejectFaint).toBeUndefined();
    expect(convertJobSettings({ threshold: 300 }).segmentation.cleanup?.rejectFaint).toBeUndefined();
    expect(() => convertParamsSchema.parse({ keepFaint: 'yes' })).toThrow(/--keep-faint/);
  });

  it('JSON numbers, arrays and booleans mean what the same values typed on the command line mean', () => {
    const pairs: Array<[ConvertJobParams, ConvertJobParams]> = [
      [{ threshold: 300 }, { threshold: ['300'] }],
      [{ threshold: '200,300' }, { threshold: ['200,300'] }],
      [{ threshold: [200, '250,900'] }, { threshold: ['200', '250,900'] }],
      [{ thresholds: [200, 300] }, { thresholds: '200,300' }],
      [{ seedVoxel: [1, 2, 3], range: [200, 3000] }, { seedVoxel: '1,2,3', range: '200,3000' }],
      [
        { crop: [0, 0, 0, 9, 9, 9], gaussian: [1, 1, 2], window: [-100, 2000], median: 1 },
        { crop: '0,0,0,9,9,9', gaussian: '1,1,2', window: '-100,2000', median: '1' },
      ],
      [
        { isotropic: 0.5, keep: 3, connectivity: 6, minIsland: 0, close: 1, open: 0.5, soft: 50 },
        { isotropic: '0.5', keep: '3', connectivity: '6', minIsland: '0', close: '1', open: '0.5', soft: '50' },
      ],
      [
        { smooth: 10, smoothMethod: 'taubin', decimate: 5000, maxError: 0.1, minShell: 0 },
        { smooth: '10', smoothMethod: 'taubin', decimate: '5000', maxError: '0.1', minShell: '0' },
      ],
      [{ decimateRatio: 0.5, passBand: 0.01, series: 3 }, { decimateRatio: '0.5', passBand: '0.01', series: '3' }],
      [{ fillHoles: true }, { fillHoles: '3d' }],
    ];
    for (const [json, cli] of pairs) expect(convertJobSettings(json), JSON.stringify(json)).toEqual(convertJobSettings(cli));
    const s = convertJobSettings({ threshold: [200, '250,900'], decimateRatio: 0.5, series: 3, smooth: 0, purpose: 'plan', force: true });
    expect(s.segmentation.method).toEqual({ method: 'threshold', ranges: [[200, 3071], [250, 900]] });
    expect(s.decimateRatio).toBe(0.5);
    expect(s.series).toBe('3');
    expect(s.condition.smooth).toBe(false);
    expect(s.purpose).toBe('plan');
    expect(s.force).toBe(true);
    expect(convertJobSettings({ fillHoles: false }).segmentation.cleanup?.fillHoles).toBeUndefined();
  });

  it('refuses bad values naming the option, with the CLI messages and codes', () => {
    const cases: Array<[unknown, RegExp, string?]> = [
      [{ decimateRatio: 1.5 }, /^--decimate-ratio 1\.5: expected a fraction in \(0, 1\]$/],
      [{ decimateRatio: '0' }, /^--decimate-ratio 0: /],
      [{ threshold: 9000 }, /^--threshold 9000: 9000 HU is outside the CT scale -1024\.\.3071 HU/, 'HU_OUT_OF_RANGE'],
      [{ thresholds: [200, -2000] }, /^--thresholds 200,-2000: -2000 HU is outside/, 'HU_OUT_OF_RANGE'],
      [{ threshold: '300,200' }, /^--threshold 300,200: a range needs LO ≤ HI \(for two separate thresholds use --thresholds 300,200\)$/],
      [{ threshold: 'auto', thresholds: 200 }, /^--threshold auto cannot be combined with other thresholds$/],
      [{ preset: 'bone', threshold: 300 }, /^give one of --preset, --threshold\/--thresholds, or --seed with --range$/],
      [{ seed: [1, 2, 3] }, /^--seed needs --range LO,HI/],
      [{ crop: [1, 2] }, /^--crop 1,2: expected 6 comma-separated numbers$/],
      [{ keep: 2.5 }, /^--keep 2\.5: largest, all, or a whole number of components$/],
      [{ connectivity: 7 }, /^--connectivity 7: 6, 18 or 26$/],
      [{ fillHoles: '4d' }, /^--fill-holes 4d: 3d, 2d or both$/],
      [{ smooth: 2000 }, /^--smooth 2000: expected a number of iterations \(1–1000\) or "none"$/],
      [{ smoothMethod: 'foo' }, /^--smooth-method foo: expected windowed-sinc or taubin$/],
      [{ decimate: 1000, decimateRatio: 0.5 }, /^give --decimate FACES or --decimate-ratio R, not both/],
      [{ smooth: 'none', passBand: 0.1 }, /^--pass-band has no effect with --smooth none$/],
      [{ minShell: -1 }, /^--min-shell -1: expected a volume in mm³ ≥ 0$/],
      // Wrong JSON types: the option, the value as sent, and what it takes.
      [{ threshold: true }, /^--threshold true: expected auto, N, "N,M", or an array of them$/],
      [{ keepTable: 'yes' }, /^--keep-table "yes": expected true or false/],
      [{ crop: [1, 'a'] }, /^--crop \[1,"a"\]: expected /],
      [{ decimateRatio: null }, /^--decimate-ratio null: expected /],
      [{ tissue: 7 }, /^--tissue 7: expected /],
    ];
    for (const [params, message, code] of cases) {
      const e = refusal(params);
      expect(e.kind, JSON.stringify(params)).toBe('usage');
      expect(e.code, JSON.stringify(params)).toBe(code ?? 'BAD_OPTION');
      expect(e.message, JSON.stringify(params)).toMatch(message);
    }
  });

  it('refuses unknown keys, naming them; output files are not params', () => {
    expect(refusal({ thresold: 300 }).message).toMatch(/^unknown convert option "thresold"/);
    expect(refusal({ output: ['model.stl'], report: 'r.json' }).message).toMatch(/^unknown convert options "output", "report"/);
    expect(refusal({ 'decimate-ratio': 0.5 }).message).toMatch(/"decimate-ratio".*camelCase/);
    expect(refusal(null).message).toMatch(/^convert params: expected an object/);
    expect(refusal([]).message).toMatch(/^convert params: expected an object/);
  });

  it('the schema alone validates as convertJobSettings does (for a server route), with the same messages', () => {
    expect(convertParamsSchema.safeParse({ threshold: 300, decimateRatio: 0.5 }).success).toBe(true);
    const parsed = convertParamsSchema.parse({});
    const defaults = { smooth: 40, smoothMethod: 'windowed-sinc', minShell: 1, tissue: 'bone', keepTable: false, force: false };
    expect(parsed).toMatchObject({ ...defaults, minIsland: CONVERT_MIN_ISLAND_MM3 });
    const bad = convertParamsSchema.safeParse({ decimateRatio: 2 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe(refusal({ decimateRatio: 2 }).message);
    const hu = convertParamsSchema.safeParse({ threshold: 9000 });
    expect((hu.error?.issues[0] as { params?: { code?: string } } | undefined)?.params?.code).toBe('HU_OUT_OF_RANGE');
    const unknown = convertParamsSchema.safeParse({ thresold: 300 });
    expect(unknown.error?.issues.some((i) => i.code === 'unrecognized_keys' && i.keys.includes('thresold'))).toBe(true);
    const typed = convertParamsSchema.safeParse({ keepTable: 'yes' });
    expect(typed.error?.issues[0]?.path).toEqual(['keepTable']);
  });

  it('has a JSON Schema for OpenAPI: every key, defaults optional, no other keys', () => {
    type Property = { description?: string; default?: unknown };
    type ObjectSchema = { type: string; properties: Record<string, Property>; required?: string[]; additionalProperties: boolean };
    const js = convertParamsJsonSchema as ObjectSchema;
    expect(js.type).toBe('object');
    expect(js.additionalProperties).toBe(false);
    expect(js.required ?? []).toEqual([]);
    expect(Object.keys(js.properties).sort()).toEqual(Object.keys(convertParamsSchema.shape).sort());
    expect(js.properties.decimateRatio?.description).toMatch(/--decimate-ratio/);
    expect(js.properties.smooth?.default).toBe(40);
    expect(js.properties.output).toBeUndefined();
  });
});

describe('convert params: method (issue 14)', () => {
  it('forest and threshold-forest replace the threshold and keep the clean-up', () => {
    for (const method of ['forest', 'threshold-forest']) {
      const s = convertJobSettings({ method });
      expect(s.segmentation.method).toEqual({ method });
      expect(s.segmentation.cleanup).toEqual(convertJobSettings({}).segmentation.cleanup);
    }
    expect(convertJobSettings({ method: 'forest', anatomy: 'femur_left' }).segmentation.anatomy).toEqual({ structures: ['femur_left'] });
  });

  it('an unknown method is refused naming the known ones; a method with a threshold option is refused naming both', () => {
    const bad = refusal({ method: 'majority-vote' });
    expect(bad.code).toBe('UNKNOWN_METHOD');
    expect(bad.message).toContain('unknown segmentation method "majority-vote"');
    expect(bad.message).toContain('forest, threshold-forest');
    for (const [params, flag] of [[{ threshold: 300 }, '--threshold'], [{ preset: 'bone' }, '--preset'], [{ soft: 20 }, '--soft'], [{ seedVoxel: [1, 2, 3], range: '200,3000' }, '--seed-voxel']] as const) {
      const e = refusal({ method: 'forest', ...params });
      expect(e.code).toBe('BAD_OPTION');
      expect(e.message).toContain('--method replaces');
      expect(e.message).toContain(flag);
    }
    // The schema a server validates with says the same.
    expect(convertParamsSchema.safeParse({ method: 'forest', threshold: 300 }).success).toBe(false);
    expect(convertParamsJsonSchema.properties).toHaveProperty('method');
  });
});
