/**
 * The gateway as the benchmark and soak drive it: the same `createGateway` as `npm start`, plus an
 * IPC channel that reports its heap after a full GC (run with --expose-gc) and its upstream stats.
 */
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { listenOrExit, stopOnSignals } from '../src/process/lifecycle.js';

const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', ...process.env });
const logger = createLogger(config.logLevel);
const gateway = createGateway(config, logger);
stopOnSignals(() => gateway.close(), {
  stopping: () => {},
  failed: (error) => logger.error({ err: error }, 'shutdown failed'),
});
const running = await listenOrExit('Gateway', () => gateway.listen(), { PORT: config.port });
process.stdout.write(`gateway at ${running.url}\n`);

process.on('message', (message: { id: number; command: string }) => {
  let value: unknown;
  if (message.command === 'heap') {
    globalThis.gc?.();
    globalThis.gc?.();
    value = process.memoryUsage().heapUsed;
  } else {
    value = gateway.upstream.stats();
  }
  process.send?.({ id: message.id, value });
});
