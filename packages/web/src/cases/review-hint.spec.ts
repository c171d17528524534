import { describe, expect, it } from 'vitest';
import { reviewHint, type ReviewHintFacts } from './review-hint.js';

const engineer: ReviewHintFacts = { role: 'engineer', mayApprove: false, mayRequest: true, noModel: false, approveBlock: null, requestBlock: null, what: 'model version 1' };

describe('the Approval section hint', () => {
  it('says an engineer can request changes only while the workflow lets them', () => {
    expect(reviewHint(engineer)).toBe('Your role (engineer) can request changes on model version 1 but not approve.');
    const approved = reviewHint({ ...engineer, requestBlock: 'in this state only a reviewer, technician or organisation admin may' });
    expect(approved).not.toMatch(/can request/);
    expect(approved).toBe(
      'Your role (engineer) cannot approve. Requesting changes is not possible now: in this state only a reviewer, technician or organisation admin may.',
    );
  });

  it('names every block, and the version only when a button works', () => {
    const reviewer = { ...engineer, role: 'reviewer', mayApprove: true };
    expect(reviewHint({ ...reviewer, approveBlock: 'missing: four eyes' })).toBe('Approval is not possible now: missing: four eyes. Your decision applies to model version 1.');
    expect(reviewHint({ ...reviewer, approveBlock: 'a', requestBlock: 'b' })).toBe('Approval is not possible now: a. Requesting changes is not possible now: b.');
    expect(reviewHint({ ...engineer, mayRequest: false })).toBe('Your role (engineer) cannot approve or request changes.');
    expect(reviewHint({ ...engineer, noModel: true })).toBe('There is no finished model to judge yet.');
  });
});
