/**
 * Process entry for production: `EP_API_BASE_URL=… npm start`.
 * loadConfig(process.env) → createUpstreamClient → createApp → listen; SIGTERM drains and exits 0.
 */
import { createApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startServer } from './http-server.js';
import { createLogger } from './logger.js';
import { createUpstreamClient } from './upstream/client.js';

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
const upstream = createUpstreamClient({
  baseUrl: config.epApiBaseUrl,
  timeoutMs: config.epApiTimeoutMs,
  connections: config.epApiConnections,
});
const app = createApp({
  upstream,
  logger,
  graphiql: config.graphiql ? {} : false,
  loaderOptions: { lookupConcurrency: config.epLookupConcurrency, memberBatchLookup: config.epMemberBatchLookup },
});
const running = await startServer(app, config.host, config.port);
logger.info({ url: `${running.url}/graphql`, upstream: config.epApiBaseUrl }, 'gateway listening');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'draining');
  await running.close();
  await upstream.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
