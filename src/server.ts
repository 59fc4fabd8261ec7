/**
 * Process entry for production: `node dist/server.js` (or `npm start`).
 * loadConfig(process.env) → createGateway → listen. SIGTERM or SIGINT drains (see
 * `Gateway.close`) and exits 0 (`process/lifecycle.ts`).
 */
import { loadConfig, settingsOrExit } from './config.js';
import { createGateway } from './gateway.js';
import { createLogger } from './observability/logger.js';
import { listenOrExit, stopOnSignals } from './process/lifecycle.js';

const config = settingsOrExit(() => loadConfig(process.env));
const logger = createLogger(config.logLevel);
const gateway = settingsOrExit(() => createGateway(config, logger));

// Unhandled rejections are bugs; log them instead of dying with every in-flight request.
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

// Before listening: whoever reads "gateway listening" may signal at once, and a signal with no
// handler yet would kill the process instead of draining it.
stopOnSignals(() => gateway.close(), {
  stopping: (signal) => logger.info({ signal }, 'signal received'),
  failed: (error) => logger.error({ err: error }, 'shutdown failed'),
});

await listenOrExit('Gateway', () => gateway.listen(), { PORT: config.port, METRICS_PORT: config.metricsPort });
