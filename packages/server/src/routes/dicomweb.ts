/** Routes: DICOMweb: STOW-RS receive (issue 15). */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../context.js';

export function dicomwebRoutes(_app: FastifyInstance, _s: Services): void {}
