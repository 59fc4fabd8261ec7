/**
 * LOG_LEVEL, as production applies it (`node dist/server.js`): at `warn` an ordinary operation
 * writes no access-log line, while a warning still appears; at `info` both appear. In-process test
 * gateways log at every level, so only the process shows the setting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { killLeftoverProcesses, startProcess, type StartedProcess } from '../support/child-process.js';
import { memberBody } from '../support/bodies.js';
import { readMember, served, settings } from '../support/lifecycle.js';
import { freePort } from '../support/ports.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

const WEBHOOK_SECRET = 'the-integration-secret';
const REFUSED_DELIVERY = 'webhook delivery refused: wrong or missing X-MOLTIN-SECRET-KEY';

let upstream: ScriptedUpstream | undefined;

afterEach(async () => {
  await killLeftoverProcesses();
  upstream?.verify();
  await upstream?.close();
  upstream = undefined;
});

/**
 * Resolves once the process answers `/readiness` with 200. Below `info` it never writes the line
 * naming its address, so only asking shows when it serves.
 */
async function whenReady(process: StartedProcess, url: string): Promise<void> {
  for (;;) {
    if (process.child.exitCode !== null) throw new Error(`the gateway exited before serving:\n${process.output()}`);
    const status = await fetch(`${url}/readiness`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One ordinary operation, then a webhook delivery with the wrong secret, which the gateway logs as a warning. */
async function operationThenRefusedDelivery(url: string): Promise<void> {
  upstream?.reply({ status: 200, json: memberBody() });
  expect((await readMember(url)).status).toBe(200);
  const delivery = await fetch(`${url}/webhooks/elastic-path`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-moltin-secret-key': 'not-the-secret' },
    body: '{}',
  });
  expect(delivery.status).toBe(401);
}

/** Every line the process wrote, read to its end after it has exited. */
async function logLinesAfterStop(process: StartedProcess): Promise<Array<Record<string, unknown>>> {
  expect(await process.stop()).toBe(0);
  return process
    .stdout()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// Each test starts the built gateway as its own process, which takes a while on a busy machine.
describe('LOG_LEVEL', { timeout: 60_000 }, () => {
  it('at warn, writes no access-log line for an operation, but still the warning of a refused webhook delivery', async () => {
    upstream = await startScriptedUpstream();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const gateway = startProcess('dist/server.js', {
      env: settings({ EP_API_BASE_URL: upstream.url, EP_WEBHOOK_SECRET: WEBHOOK_SECRET, PORT: String(port), LOG_LEVEL: 'warn' }),
    });
    await whenReady(gateway, url);
    await operationThenRefusedDelivery(url);

    const lines = await logLinesAfterStop(gateway);
    expect(lines.filter((line) => line.msg === 'operation')).toEqual([]);
    // Nothing below warn at all: not the start-up line, the access line nor the shutdown lines.
    expect(lines.filter((line) => (line.level as number) < 40)).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: REFUSED_DELIVERY }));
  });

  it('at info, writes the access-log line for the same operation, and the warning', async () => {
    upstream = await startScriptedUpstream();
    const gateway = await served(
      startProcess('dist/server.js', {
        env: settings({ EP_API_BASE_URL: upstream.url, EP_WEBHOOK_SECRET: WEBHOOK_SECRET, LOG_LEVEL: 'info' }),
      }),
    );
    await operationThenRefusedDelivery(gateway.url);

    const lines = await logLinesAfterStop(gateway);
    expect(lines.filter((line) => line.msg === 'operation')).toEqual([
      expect.objectContaining({ level: 30, operationType: 'query', status: 200, upstreamCalls: 1 }),
    ]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: REFUSED_DELIVERY }));
  });
});
