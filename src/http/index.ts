export { createHttpApp } from './app.js';
export { HttpServer } from './http-server.js';
export type { HttpServerOptions } from './http-server.js';
