/** Routes: PACS destinations, query/retrieve and send-back (issue 15). */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../context.js';

export function pacsRoutes(_app: FastifyInstance, _s: Services): void {}
