/**
 * Every entry point as a new user meets it: `npm run dev` stops, dev servers and all, on a signal
 * to its own process (as an IDE or a supervisor sends it) or when npm is killed outright; and a
 * port already in use is one line naming the setting to change, not a stack trace.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { killLeftoverProcesses, startCommand, startProcess } from '../support/child-process.js';
import { isAlive, settings } from '../support/lifecycle.js';

const held: Server[] = [];

afterEach(async () => {
  await killLeftoverProcesses();
  await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A port some other program already listens on. */
async function busyPort(): Promise<number> {
  const server = createServer();
  held.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Whether anything accepts connections on the URL's port. */
async function accepts(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return true;
  } catch {
    return false;
  }
}

/** The pids of a process and all its descendants (Linux). */
async function tree(pid: number): Promise<number[]> {
  const { readFileSync } = await import('node:fs');
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...(await Promise.all(children.map(tree))).flat()];
}

// npm, tsx's loader and two servers starting on a busy machine take a while.
describe('npm run dev', { timeout: 60_000 }, () => {
  async function npmRunDev() {
    const dev = startCommand('npm', ['run', 'dev'], { env: settings({ EMULATOR_PORT: '0' }) });
    const [, emulatorUrl = ''] = await dev.waitFor(/Elastic Path emulator\s+(http:\/\/\S+)/, 60_000);
    const [, graphiqlUrl = ''] = await dev.waitFor(/GraphiQL\s+(http:\/\/\S+)/);
    const pids = await tree(dev.child.pid!);
    expect(await accepts(graphiqlUrl)).toBe(true);
    expect(await accepts(`${emulatorUrl}/v2/accounts`)).toBe(true);
    return { dev, emulatorUrl, graphiqlUrl, pids };
  }

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops the gateway and the emulator on %s to the npm process alone, and exits 0',
    async (signal) => {
      const { dev, emulatorUrl, graphiqlUrl, pids } = await npmRunDev();
      expect(await dev.stop(signal)).toBe(0);
      expect(dev.output()).toContain('"msg":"stopped"');
      expect(pids.filter(isAlive)).toEqual([]);
      expect(await accepts(graphiqlUrl)).toBe(false);
      expect(await accepts(`${emulatorUrl}/v2/accounts`)).toBe(false);
    },
  );

  it('stops the dev servers when npm itself is killed outright', async () => {
    const { dev, graphiqlUrl, pids } = await npmRunDev();
    dev.child.kill('SIGKILL');
    // The dev process notices its parent is gone and drains: its log says so before it exits.
    await dev.waitFor(/"signal":"SIGHUP"/, 20_000);
    for (let waited = 0; pids.some(isAlive) && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await accepts(graphiqlUrl)).toBe(false);
  });
});

describe('a port already in use', { timeout: 60_000 }, () => {
  it('stops the built gateway with one line naming PORT, and exit 1', async () => {
    const port = await busyPort();
    const gateway = startProcess('dist/server.js', { env: settings({ PORT: String(port), EP_API_BASE_URL: 'http://127.0.0.1:9' }) });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr()).toBe(
      `Gateway could not listen on 127.0.0.1:${port}: it is already in use (EADDRINUSE); stop whatever holds it, or set PORT to another port.\n`,
    );
  });

  it('names METRICS_PORT when that is the busy one', async () => {
    const port = await busyPort();
    const gateway = startProcess('dist/server.js', {
      env: settings({ METRICS_PORT: String(port), EP_API_BASE_URL: 'http://127.0.0.1:9' }),
    });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr()).toContain(
      `could not listen on 127.0.0.1:${port}: it is already in use (EADDRINUSE); stop whatever holds it, or set METRICS_PORT to another port.`,
    );
  });

  it('stops npm run dev with one line naming EMULATOR_PORT', async () => {
    const port = await busyPort();
    const dev = startCommand('npm', ['run', '--silent', 'dev'], { env: settings({ EMULATOR_PORT: String(port) }) });
    expect(await dev.exited).toBe(1);
    expect(dev.stderr()).toBe(
      `Elastic Path emulator could not listen on 127.0.0.1:${port}: it is already in use (EADDRINUSE); stop whatever holds it, or set EMULATOR_PORT to another port.\n`,
    );
  });

  it('stops npm run emulator with the same line', async () => {
    const port = await busyPort();
    const emulator = startProcess('src/emulator/main.ts', { env: { EMULATOR_HOST: '127.0.0.1', EMULATOR_PORT: String(port) } });
    expect(await emulator.exited).toBe(1);
    expect(emulator.stderr()).toBe(
      `Elastic Path emulator could not listen on 127.0.0.1:${port}: it is already in use (EADDRINUSE); stop whatever holds it, or set EMULATOR_PORT to another port.\n`,
    );
  });
});
