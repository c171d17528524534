/** `scan2print quote` (filled by its issue). */
import type { RegisterCommand } from './index.js';

export const registerQuote: RegisterCommand = () => {};
