export { createHttpApp } from './app.js';
export type { HttpAppOptions } from './app.js';
export { isLoopbackHost } from './loopback.js';
export { HttpServer } from './http-server.js';
export type { HttpServerOptions } from './http-server.js';
