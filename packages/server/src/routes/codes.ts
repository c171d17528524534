/** Routes of this feature (filled by its owner). */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../context.js';

export function codeRoutes(_app: FastifyInstance, _s: Services): void {}
