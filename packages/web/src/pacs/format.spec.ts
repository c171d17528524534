import { describe, expect, it } from 'vitest';
import { canImport, dateQuery, dicomDate, sendLines, sendStatusWords } from './format.js';
import type { PacsSend } from './types.js';

describe('PACS page words', () => {
  it('takes a day or a range as the date, and says what is wrong otherwise', () => {
    expect(dateQuery('')).toEqual({ ok: true, value: undefined });
    expect(dateQuery(' 2026-01-15 ')).toEqual({ ok: true, value: '2026-01-15' });
    expect(dateQuery('2026-01-01..2026-01-31')).toEqual({ ok: true, value: '2026-01-01..2026-01-31' });
    expect(dateQuery('..2026-01-31')).toEqual({ ok: true, value: '..2026-01-31' });
    expect(dateQuery('15.01.2026')).toMatchObject({ ok: false, why: expect.stringContaining('15.01.2026') });
    expect(dateQuery('..')).toMatchObject({ ok: false });
    expect(dicomDate('20260115')).toBe('2026-01-15');
    expect(dicomDate(null)).toBe('—');
  });

  it('describes a send per object and as a whole', () => {
    const s: PacsSend = {
      id: 's', jobId: 'j', destinationId: 'd', via: 'stow-rs', status: 'partial', error: 'pdf: status 0xc000',
      objects: [
        { kind: 'stl', from: ['skull.stl'], sopInstanceUid: '2.25.1.2', bytes: 10, sha256: 'x', ok: true, status: 0 },
        { kind: 'pdf', from: ['report.json'], sopInstanceUid: '2.25.3.2', bytes: 10, sha256: 'y', ok: false, status: 0xc000, comment: 'cannot understand' },
      ],
    };
    expect(sendLines(s)).toEqual(['model (Encapsulated STL): stored', 'report (Encapsulated PDF): refused (cannot understand)']);
    expect(sendStatusWords(s)).toBe('Partly sent by STOW-RS: 1 of 2 stored');
    expect(sendStatusWords({ ...s, status: 'failed', via: 'c-store' })).toBe('Not sent (C-STORE): pdf: status 0xc000');
    expect(canImport('reviewer')).toBe(false);
    expect(canImport('engineer')).toBe(true);
  });
});
