import { describe, expect, it } from 'vitest';
import { mayMakeToken, tokenState, type ApiToken } from './tokens.js';

describe('API tokens in the web app', () => {
  it("follows the server's rule on who makes a token for whom", () => {
    const admin = { id: 'a', role: 'org-admin' };
    expect(mayMakeToken(admin, { id: 'a', passwordLogin: true })).toBe(true);
    expect(mayMakeToken(admin, { id: 'script', passwordLogin: false })).toBe(true);
    expect(mayMakeToken(admin, { id: 'person', passwordLogin: true })).toBe(false);
    expect(mayMakeToken(admin, { id: 'unknown' })).toBe(false);
    expect(mayMakeToken({ id: 'e', role: 'engineer' }, { id: 'script', passwordLogin: false })).toBe(false);
    expect(mayMakeToken({ id: 'e', role: 'engineer' }, { id: 'e' })).toBe(true);
  });

  it('says whether a token is active, expired or revoked', () => {
    const t: ApiToken = { id: '1', name: 'x', createdAt: null, madeBy: null, personal: true, expiresAt: '2026-01-02T00:00:00.000Z', revokedAt: null, lastUsedAt: null };
    expect(tokenState(t, new Date('2026-01-01T00:00:00Z'))).toBe('active');
    expect(tokenState(t, new Date('2026-01-03T00:00:00Z'))).toBe('expired');
    expect(tokenState({ ...t, revokedAt: '2026-01-01T00:00:00.000Z' }, new Date('2026-01-01T00:00:00Z'))).toBe('revoked');
    expect(tokenState({ ...t, expiresAt: null }, new Date('2099-01-01T00:00:00Z'))).toBe('active');
  });
});
