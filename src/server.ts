/**
 * Process entry for production: `node dist/server.js` (or `npm start`).
 * loadConfig(process.env) → createGateway → listen. SIGTERM or SIGINT drains (see
 * `Gateway.close`) and exits 0.
 */
import { loadConfig, settingsOrExit } from './config.js';
import { createGateway } from './gateway.js';
import { createLogger } from './logger.js';

const config = settingsOrExit(() => loadConfig(process.env));
const logger = createLogger(config.logLevel);
const gateway = settingsOrExit(() => createGateway(config, logger));
await gateway.listen();

// Unhandled rejections are bugs; log them instead of dying with every in-flight request.
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

function shutdown(signal: NodeJS.Signals): void {
  logger.info({ signal }, 'signal received');
  gateway.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

// Under `npm start`, npm is the parent. Should it die without passing a signal on (SIGKILL), the
// gateway must not live on as an orphan: a new parent means drain and exit.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown('SIGHUP');
  }, 250).unref();
}
