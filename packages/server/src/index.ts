export { configFromEnv, type ServerConfig } from './config.js';
export { buildApp, type AppOptions } from './app.js';
export { startServer, startWorker, openServices, bootstrapAdmin, ADMIN_EMAIL, type RunningServer, type Host } from './serve.js';
export type { Services } from './context.js';
export type { RouteInfo, Access } from './http/route.js';
export { ROLES, type Role } from './db/schema.js';
export { verifyDataDir, type StoredChainCheck } from './audit/offline.js';
export { quoteModel, type QuoteOptions } from './print/prusa-quote.js';
