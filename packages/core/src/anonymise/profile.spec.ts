import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../../test/data.js';
import { PROFILE_TABLE, PROFILE_TABLE_SHA256 } from './profile-table.generated.js';
import { maskRuleFor, profileEntries, resolveAction } from './profile.js';
import { hmacSha256, sha256, toHex } from './sha256.js';

const JSON_PATH = process.env.SCAN2PRINT_PROFILE_JSON ?? resolve(ROOT, '../shared/dicom-standard/confidentiality_profile_attributes.json');

describe('the compiled profile table equals the standard table (confidentiality_profile_attributes.json)', () => {
  const raw = readFileSync(JSON_PATH);
  const rows = JSON.parse(raw.toString('utf8')) as { id: string; basicProfile: string; name: string }[];

  it('same rows, same order, same actions and names (regenerate with packages/core/scripts/gen-profile.mjs)', () => {
    expect(PROFILE_TABLE.map(([id, action, , name]) => [id, action, name])).toEqual(rows.map((r) => [r.id, r.basicProfile, r.name]));
    expect(PROFILE_TABLE_SHA256).toBe(createHash('sha256').update(raw).digest('hex'));
  });

  it('every exact tag has a VR, every code resolves to an action we implement', () => {
    for (const [id, code, vr] of PROFILE_TABLE) {
      if (/^[0-9a-f]{8}$/.test(id)) expect(vr, id).toMatch(/^[A-Z]{2}$/);
      expect(['X', 'Z', 'D', 'U', 'K', 'U*']).toContain(resolveAction(code));
    }
    expect(profileEntries().size).toBe(rows.length - 4);
  });

  it('compound actions resolve to the conformance-safe alternative', () => {
    expect(resolveAction('X/Z')).toBe('Z');
    expect(resolveAction('X/D')).toBe('D');
    expect(resolveAction('Z/D')).toBe('D');
    expect(resolveAction('X/Z/D')).toBe('D');
    expect(resolveAction('X/Z/U*')).toBe('U*');
    expect(resolveAction('C')).toBe('D');
  });

  it('masks: private groups, curves 50xx, overlays 60xx, group lengths', () => {
    expect(maskRuleFor(0x00091001)).toBe('private');
    expect(maskRuleFor(0x50000010)).toBe('curve');
    expect(maskRuleFor(0x60023000)).toBe('overlay');
    expect(maskRuleFor(0x60004000)).toBe('overlay');
    expect(maskRuleFor(0x00080000)).toBe('group-length');
    expect(maskRuleFor(0x00200032)).toBeUndefined();
  });

  it('geometry and acquisition attributes are not in the table (kept)', () => {
    // ImagePositionPatient, ImageOrientationPatient, PixelSpacing, SliceThickness, RescaleIntercept/Slope, KVP,
    // ConvolutionKernel, SpacingBetweenSlices, GantryDetectorTilt, Rows, Columns, XRayTubeCurrent, Exposure.
    for (const t of [0x00200032, 0x00200037, 0x00280030, 0x00180050, 0x00281052, 0x00281053, 0x00180060, 0x00181210, 0x00180088, 0x00181120, 0x00280010, 0x00280011, 0x00181151, 0x00181152]) {
      expect(profileEntries().get(t), t.toString(16)).toBeUndefined();
    }
  });
});

describe('SHA-256 and HMAC-SHA-256 equal node:crypto', () => {
  it('on random inputs of many lengths and keys', () => {
    for (let n = 0; n < 300; n += 7) {
      const m = randomBytes(n);
      expect(toHex(sha256(m))).toBe(createHash('sha256').update(m).digest('hex'));
      for (const kl of [1, 32, 64, 65, 200]) {
        const k = randomBytes(kl);
        expect(toHex(hmacSha256(k, m))).toBe(createHmac('sha256', k).update(m).digest('hex'));
      }
    }
  });
});
