export { readConfig, SETTINGS, type ServeConfig } from './config.ts';
export { JsonLogger } from './logger.ts';
export { serve, serveHelp } from './main.ts';
export { type RunningServer, startServer } from './server.ts';
