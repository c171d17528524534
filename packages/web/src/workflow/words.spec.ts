import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client.js';
import { aRole, explainRefusal, rolesText, stateLabel } from './words.js';
import { notificationListOf } from './api.js';

describe('workflow words', () => {
  it('names states, falling back to the raw value for an unknown one', () => {
    expect(stateLabel('qc-passed')).toBe('QC passed');
    expect(stateLabel('in-review')).toBe('In review');
    expect(stateLabel('something-new')).toBe('something-new');
    expect(stateLabel(null)).toBe('—');
  });

  it('lists roles in words', () => {
    expect(rolesText(['reviewer'])).toBe('reviewer');
    expect(rolesText(['reviewer', 'org-admin'])).toBe('reviewer or organisation admin');
    expect(rolesText(['requester', 'engineer', 'technician'])).toBe('requester, engineer or technician');
    expect(rolesText([])).toBe('nobody (automatic)');
    // "Signed by a engineer" read in the case page: the article follows the first word
    expect(aRole(['engineer'])).toBe('an engineer');
    expect(aRole(['org-admin'])).toBe('an organisation admin');
    expect(aRole(['reviewer', 'org-admin'])).toBe('a reviewer or organisation admin');
    expect(aRole([])).toBe('nobody (automatic)');
  });

  it('explains four eyes, a missing artefact and a role refusal in words', () => {
    expect(explainRefusal(new ApiError(409, 'FOUR_EYES', 'you edited model version 2'), 'reviewer')).toMatch(/^Four-eyes rule: you edited model version 2\. Someone else/);
    expect(explainRefusal(new ApiError(409, 'MISSING', 'gate print-qc is not signed'), 'technician')).toBe('Something is missing: gate print-qc is not signed');
    expect(explainRefusal(new ApiError(403, 'FORBIDDEN', 'role engineer may not approve'), 'engineer')).toMatch(/^Your role \(engineer\) may not do this/);
    expect(explainRefusal(new Error('network down'), 'engineer')).toBe('Not saved: network down');
  });
});

describe('notification list', () => {
  it('reads an array or an object with an unread count, in any of the text fields', () => {
    const a = notificationListOf([
      { id: 1, caseId: 'c', message: 'Case approved', createdAt: '2026-11-30T10:00:00Z', readAt: null },
      { id: 2, kind: 'transition', state: 'printing', createdAt: '2026-11-30T09:00:00Z', readAt: '2026-11-30T09:05:00Z' },
    ]);
    expect(a.unread).toBe(1);
    expect(a.items.map((n) => n.text)).toEqual(['Case approved', 'transition: printing']);
    expect(a.items[1]!.read).toBe(true);
    const t = notificationListOf({ items: [{ id: 'n', title: 'Case 1a2b (skull): approved', body: 'reviewer@x approved it.', read: false }], unread: 1 });
    expect(t.items[0]).toMatchObject({ text: 'Case 1a2b (skull): approved', detail: 'reviewer@x approved it.', read: false });
    const b = notificationListOf({ notifications: [{ id: 'x', text: 'hi', read: false, createdAt: '' }], unread: 7 });
    expect(b.unread).toBe(7);
    expect(b.items[0]!.id).toBe('x');
  });
});
