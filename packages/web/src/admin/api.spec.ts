import { describe, expect, it } from 'vitest';
import { canAdminister, detailsLine, verifyText } from './api.js';

describe('admin words', () => {
  it('says whether the audit chain holds, or where it broke', () => {
    expect(verifyText({ ok: true, checked: 42 })).toBe('The chain holds (42 entries checked).');
    expect(verifyText({ ok: true, checked: 1 })).toBe('The chain holds (1 entry checked).');
    expect(verifyText({ ok: false, checked: 9, firstBad: { seq: 7, fault: 'modified', message: 'hash differs' } })).toBe(
      'The chain is broken at entry 7 (modified): hash differs',
    );
  });

  it('lets only the admin and an org-admin administer', () => {
    expect(['admin', 'org-admin', 'reviewer', 'requester'].map(canAdminister)).toEqual([true, true, false, false]);
  });

  it('shortens long detail values', () => {
    const line = detailsLine({ sha256: 'a'.repeat(64), jobId: 'j1' });
    expect(line).toBe(`{"sha256":"${'a'.repeat(16)}…","jobId":"j1"}`);
    expect(detailsLine({})).toBe('');
  });
});
