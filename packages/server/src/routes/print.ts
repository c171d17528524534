/** Routes: printer/material catalogue, quotes and the print schedule (issue 12). */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../context.js';

export function printRoutes(_app: FastifyInstance, _s: Services): void {}
