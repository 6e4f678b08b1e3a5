export { createHttpApp } from './app.js';
export type { EntityHealth, HealthSource, ReadinessReport } from './health-source.js';
export { HttpServer } from './http-server.js';
export type { HttpServerOptions } from './http-server.js';
