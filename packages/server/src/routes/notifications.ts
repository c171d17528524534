/** Routes of this feature (filled by its owner). */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../context.js';

export function notificationRoutes(_app: FastifyInstance, _s: Services): void {}
