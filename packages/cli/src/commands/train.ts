/** `scan2print train` (filled by its issue). */
import type { RegisterCommand } from './index.js';

export const registerTrain: RegisterCommand = () => {};
