/**
 * The Fastify application: plugins, authentication, the routes, OpenAPI and one error
 * format. Built from Services, so tests build it around any database and store.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { SCAN2PRINT_VERSION } from '@scan2print/core';
import type { Services } from './context.js';
import { multipartLimit } from './config.js';
import { authenticate } from './auth/principal.js';
import { accessHook, collectRoutes, type RouteInfo } from './http/route.js';
import { errorForLog, errorResponse, HttpError } from './http/errors.js';
import { healthRoutes } from './routes/health.js';
import { accountRoutes } from './routes/accounts.js';
import { caseRoutes } from './routes/cases.js';
import { fileRoutes } from './routes/files.js';
import { jobRoutes } from './routes/jobs.js';
import { artifactRoutes } from './routes/artifacts.js';
import { uploadRoutes } from './routes/uploads.js';
import { eventRoutes } from './routes/events.js';
import { reviewRoutes } from './routes/reviews.js';
import { labelRoutes } from './routes/labels.js';
import { versionRoutes } from './routes/versions.js';
import { auditRoutes } from './routes/audit.js';
import { workflowRoutes } from './routes/workflow.js';
import { notificationRoutes } from './routes/notifications.js';
import { codeRoutes } from './routes/codes.js';
import { bundleRoutes } from './routes/bundle.js';
import { printRoutes } from './routes/print.js';
import { dicomwebRoutes } from './routes/dicomweb.js';
import { pacsRoutes } from './routes/pacs.js';
import { forestModelRoutes } from './routes/forest-model.js';
import { registerWebApp, webAppDir } from './http/web-app.js';

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteInfo[];
  }
}

export interface AppOptions {
  /** Called when this process queued a job (wakes its own worker loop at once). */
  onJobQueued?: () => void;
  logger?: boolean | Record<string, unknown>;
  /** The built browser app served at / (default: webAppDir()); null serves none. */
  webDir?: string | null;
}

/** What busboy (@fastify/multipart's parser) says about a body that is not well-formed multipart. */
const MULTIPART_BROKEN =
  /^Multipart: |Boundary not found|terminated early|Unexpected end of (multipart data|form)|Malformed part header|Unexpected end of file/i;

const MULTIPART_LIMITS = { files: 10_000, fields: 100, fieldSize: 64 * 1024, parts: 10_100 };

function multipartLimitMessage(code: string | undefined, maxUploadBytes: number): string | undefined {
  const split = 'send the files in several requests, as a zip, or through the resumable upload (tus, /api/uploads)';
  if (code === 'FST_REQ_FILE_TOO_LARGE') return `a file in this request is larger than ${maxUploadBytes} bytes; ${split}`;
  if (code === 'FST_FILES_LIMIT') return `more than ${MULTIPART_LIMITS.files} files in one request; ${split}`;
  if (code === 'FST_PARTS_LIMIT') return `more than ${MULTIPART_LIMITS.parts} parts in one request; ${split}`;
  return undefined;
}

/**
 * A request as the log shows it. Its URL loses the query (a PACS query carries accession
 * numbers, dates and study UIDs; other queries nothing the log needs) and any DICOM UID in the
 * path (DICOMweb's /studies/<uid>/series/<uid>), which may be a hospital's original.
 */
export function loggedUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(/\/\d+(?:\.\d+){2,}(?=\/|$)/g, '/<uid>');
  return q < 0 ? path : `${path}?…`;
}

/**
 * A 502 or 504 the server said on purpose: a PACS or the slicer failed or did not answer (the
 * HttpError names which: the peer's name and address, our model file's name). Not our bug, so
 * no "internal error" with a stack: a warning with its code and words an operator can act on.
 */
function isUpstreamFailure(e: unknown): e is HttpError {
  return e instanceof HttpError && (e.status === 502 || e.status === 504);
}

const isIpv4 = (x: string) => /^\d+(\.\d+){3}$/.test(x) && x.split('.').every((n) => Number(n) <= 255);

/**
 * An upstream failure's message as the log may hold it. A PACS's message names the URL it
 * asked, whose query holds the accession number or date searched and whose path may hold a
 * study's UID: each URL loses them as loggedUrl says, and any other DICOM UID in the words (a
 * PACS's answer quoted) becomes <uid>. Host addresses (IPv4 too) stay: they say which peer.
 */
export function loggedMessage(m: string): string {
  return m
    .replace(/\bhttps?:\/\/[^\s/?]+([/?][^\s)]*?)?(?=[:,;)]*(?:\s|$))/g, (url: string, rest?: string) =>
      rest ? url.slice(0, url.length - rest.length) + loggedUrl(rest) : url,
    )
    .replace(/(?<![\w.])\d+(?:\.\d+){2,}(?![\w.])/g, (x) => (isIpv4(x) ? x : '<uid>'));
}

function loggedRequest(req: FastifyRequest) {
  return { method: req.method, url: loggedUrl(req.url), hostname: req.hostname, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

export async function buildApp(s: Services, opts: AppOptions = {}): Promise<FastifyInstance> {
  // Tokens, cookies and passwords never reach a log; bodies are not logged at all. A caller's
  // own logger options (a test's stream, a level) keep these redactions.
  const redact = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'];
  const serializers = { req: loggedRequest };
  const app = Fastify({
    logger:
      opts.logger === undefined
        ? { level: s.config.logLevel, redact, serializers }
        : typeof opts.logger === 'object'
          ? { ...opts.logger, serializers, redact: [...redact, ...((opts.logger.redact as string[] | undefined) ?? [])] }
          : opts.logger,
    bodyLimit: 1024 * 1024,
    // Behind a reverse proxy (SCAN2PRINT_TRUST_PROXY), the client address and https come from X-Forwarded-*.
    trustProxy: s.config.trustProxy,
  });
  // Closing: Node's server.close() ends only the keep-alive connections idle at that instant,
  // so a response still finishing then (a download whose last bytes are in flight) keeps its
  // connection, and the close, waiting for the keep-alive timeout: 72 s. Close each one as it
  // goes idle; requests in progress still finish.
  app.addHook('preClose', (done) => {
    const sweep = setInterval(() => app.server.closeIdleConnections(), 25).unref();
    app.server.once('close', () => clearInterval(sweep));
    done();
  });
  app.decorate('routeTable', [] as RouteInfo[]);
  collectRoutes(app, app.routeTable);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // The app compiles WASM codecs (core) and runs workers from its own origin; nothing from elsewhere.
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        'img-src': ["'self'", 'data:', 'blob:'],
        'script-src': ["'self'", "'wasm-unsafe-eval'"],
        'worker-src': ["'self'", 'blob:'],
        'connect-src': ["'self'", 'blob:', 'data:'],
      },
    },
  });
  await app.register(cookie);
  await app.register(rateLimit, { global: false });
  await app.register(multipart, { limits: { fileSize: multipartLimit(s.config), ...MULTIPART_LIMITS } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'scan2print API', version: SCAN2PRINT_VERSION, description: 'CT scan to print-ready model. Units: mm, DICOM patient coordinates (LPS).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 's2p_session' } } },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/')) return;
    const p = await authenticate(s.db, req);
    if (p) req.principal = p;
  });
  app.addHook('preValidation', accessHook(s.db));

  const webPage = await registerWebApp(app, opts.webDir === null ? undefined : (opts.webDir ?? webAppDir()));
  app.setNotFoundHandler((req, reply) => {
    if (webPage(req, reply)) return;
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
  app.setErrorHandler((e: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(e)) {
      // Messages quote the value sent: clipped, so a megabyte sent is not a megabyte (twice) back.
      const clip = (m: string | undefined) => (m && m.length > 300 ? `${m.slice(0, 297)}…` : m);
      const validation = e.validation.map((v) => ({ instancePath: v.instancePath, keyword: v.keyword, message: clip(v.message) }));
      const issues = validation.map((v) => `${v.instancePath || e.validationContext || 'request'} ${v.message}`);
      return reply.code(400).send({ error: { code: 'INVALID_REQUEST', message: issues.join('; '), issues: validation } });
    }
    // @fastify/multipart's limits, said in terms of what the client can do instead.
    const limit = multipartLimitMessage(e.code, multipartLimit(s.config));
    if (limit) return reply.code(413).send({ error: { code: 'TOO_LARGE', message: limit } });
    // Fastify's and its plugins' own client errors (bad JSON, body too large, wrong content type, multipart limits).
    if (!(e instanceof HttpError) && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ error: { code: e.code ?? 'BAD_REQUEST', message: e.message } });
    }
    // A malformed multipart body (no boundary, cut off mid-part): busboy throws plain Errors, the client's fault.
    if (req.isMultipart() && MULTIPART_BROKEN.test(e.message)) {
      return reply.code(400).send({ error: { code: 'BAD_MULTIPART', message: `the multipart/form-data body is malformed: ${e.message}` } });
    }
    const { status, body } = errorResponse(e);
    // Messages may name a client's file (4xx, and a core error's 500); they go back to the client only, never to the log.
    if (status === 503) req.log.error({ err: { message: (e as Error).message } }, body.error.message);
    else if (isUpstreamFailure(e)) req.log.warn({ code: e.code, status }, `upstream failure ${e.code}: ${loggedMessage(e.logMessage ?? e.message)}`);
    else if (status >= 500) req.log.error({ err: errorForLog(e) }, 'internal error');
    return reply.code(status).send(body);
  });

  healthRoutes(app, s);
  accountRoutes(app, s);
  caseRoutes(app, s);
  fileRoutes(app, s);
  jobRoutes(app, s, opts.onJobQueued ?? (() => {}));
  artifactRoutes(app, s);
  uploadRoutes(app, s);
  eventRoutes(app, s);
  reviewRoutes(app, s);
  labelRoutes(app, s, opts.onJobQueued ?? (() => {}));
  versionRoutes(app, s);
  auditRoutes(app, s);
  workflowRoutes(app, s);
  notificationRoutes(app, s);
  codeRoutes(app, s);
  bundleRoutes(app, s);
  printRoutes(app, s);
  dicomwebRoutes(app, s);
  pacsRoutes(app, s);
  forestModelRoutes(app, s);
  return app;
}
