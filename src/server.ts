/**
 * Process entry for production: `EP_API_BASE_URL=… npm start`.
 * loadConfig(process.env) → createGateway → listen. On SIGTERM: /readiness turns 503 (for
 * SHUTDOWN_DELAY_MS the server still accepts), then it stops accepting, in-flight operations get
 * SHUTDOWN_GRACE_MS to finish, pools close, exit 0.
 */
import { ConfigError, loadConfig, type Config } from './config.js';
import { createGateway } from './gateway.js';
import { startServer } from './http-server.js';
import { createLogger } from './logger.js';

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const logger = createLogger(config.logLevel);
let gateway: ReturnType<typeof createGateway>;
try {
  gateway = createGateway(config, logger);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
const running = await startServer(gateway.app, config.host, config.port, { maxBodyBytes: config.maxBodyBytes });
gateway.lifecycle.state = 'ready';
logger.info({ url: `${running.url}/graphql`, upstream: config.epApiBaseUrl }, 'gateway listening');

// Unhandled rejections are bugs; log them instead of dying with every in-flight request.
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  gateway.lifecycle.state = 'draining';
  logger.info({ signal, delayMs: config.shutdownDelayMs, graceMs: config.shutdownGraceMs }, 'draining');
  // Still serving, but not ready: load balancers notice and stop sending new work.
  await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
  const forced = setTimeout(() => {
    logger.warn('grace period over: closing remaining connections');
    running.server.closeAllConnections();
  }, config.shutdownGraceMs);
  await running.close();
  clearTimeout(forced);
  await gateway.upstream.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
