/**
 * A real Redis for the tests: Debian's `redis-server` on a free loopback port, in a temporary
 * directory, with no persistence, stopped (and started again on the same port) by the test.
 * Without `redis-server` installed the test fails and says how to install it: the fleet tests
 * prove what only a real Redis can, so they never skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCommand, type StartedProcess } from './child-process.js';
import { freePort } from './ports.js';

export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Stops it at once (SIGKILL, as a crash would); what it held is gone. */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

function redisServerPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'redis-server is not installed; the fleet tests need a real Redis. Install it with: ' +
        'apt-get update && apt-get install -y --no-install-recommends redis-server (.ci/run does this).',
    );
  }
}

export async function startRedis(): Promise<TestRedis> {
  const binary = redisServerPath();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  let running: StartedProcess | undefined;

  async function start(): Promise<void> {
    running = startCommand(binary, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--protected-mode',
      'no',
    ]);
    await running.waitFor(/Ready to accept connections/, 30_000);
  }

  async function stop(): Promise<void> {
    await running?.stop('SIGKILL');
    running = undefined;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
