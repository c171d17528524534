/**
 * The quote with printer and material "auto" (POST /api/cases/:id/quote): the server chooses the
 * pair, then quotes it. When no pair can print the model it answers 400 NO_PAIR_MEETS_NEEDS or
 * 422 NOTHING_FITS with the choice's record beside the error (every pair and why it was refused),
 * which the panel shows: the ApiError's body carries it.
 */
import { ApiError } from '../api/client.js';
import { quoteCase } from './api.js';
import type { ChoiceRecord, MaterialNeed, QuoteJson } from './types.js';

/** No pair can print the model: the server's error, and its choice record saying why for each pair. */
export class NoChoiceError extends ApiError {
  constructor(
    e: ApiError,
    readonly choice: ChoiceRecord,
  ) {
    super(e.status, e.code, e.message, e.body);
  }
}

/** The chosen pair's quote (with `choice`), or NoChoiceError; `signal` stops it as quoteCase's does. */
export async function quoteChoosing(caseId: string, body: { supports: boolean; needs?: MaterialNeed[] }, signal?: AbortSignal): Promise<QuoteJson> {
  try {
    return await quoteCase(caseId, { printer: 'auto', material: 'auto', ...body }, signal);
  } catch (e) {
    const choice = e instanceof ApiError ? (e.body as { choice?: ChoiceRecord } | undefined)?.choice : undefined;
    if (choice?.figures) throw new NoChoiceError(e as ApiError, choice);
    throw e;
  }
}
