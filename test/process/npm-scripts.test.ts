/**
 * The npm scripts a person types, run exactly as typed (`npm run emulator`, `npm run dev`), once
 * each, end to end: a broken script line, a missing dependency or a start-up crash fails here.
 * (`npm start` has its own suite, test/process/npm-start.test.ts.)
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { killLeftoverProcesses, startCommand } from '../support/child-process.js';

afterEach(killLeftoverProcesses);

/** Whether anything still accepts connections at the URL's port. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm run emulator', () => {
  it("serves Elastic Path's API with the ready token it prints, and stops on SIGTERM", async () => {
    const npm = startCommand('npm', ['run', 'emulator'], { env: { EMULATOR_PORT: '0', EMULATOR_HOST: '127.0.0.1' }, detached: true });
    const [, url = ''] = await npm.waitFor(/listening on (http:\/\/\S+)/, 30_000);
    const [, token = ''] = await npm.waitFor(/ready token[^:]*: (\S+)/);

    const accounts = await fetch(`${url}/v2/accounts`, { headers: { authorization: `Bearer ${token}` } });
    expect(accounts.status).toBe(200);
    const body = (await accounts.json()) as { data: Array<{ id: string }> };
    expect(body.data.map((account) => account.id)).toContain(DEMO.accounts.acme.id);

    await npm.stopGroup('SIGTERM');
    expect(await accepts(url)).toBe(false);
  }, 40_000);
});

describe('npm run dev', () => {
  it('serves the gateway over the emulator with the Authorization header it prints, and stops on SIGTERM', async () => {
    const npm = startCommand('npm', ['run', 'dev'], {
      env: { PORT: '0', EMULATOR_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      detached: true,
    });
    const [, graphql = ''] = await npm.waitFor(/GraphiQL\s+(http:\/\/\S+)/, 30_000);
    const [, authorization = ''] = await npm.waitFor(/Authorization header\s+(Bearer \S+)/);

    const { andy } = DEMO.members;
    const response = await fetch(graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: `{ accountMember(id: "${andy.id}") { name email } }` }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown }).data).toEqual({ accountMember: { name: andy.name, email: andy.email } });

    await npm.stopGroup('SIGTERM');
    expect(await accepts(graphql)).toBe(false);
  }, 40_000);
});
