/** The process: `npm start` serves, reports readiness, and on SIGTERM drains in-flight work and exits 0. */
import { afterEach, describe, expect, it } from 'vitest';
import { killLeftoverProcesses, startProcess } from './support/child-process.js';
import { startGateway } from './support/gateway.js';
import { MEMBER_ID, TOKEN, memberBody } from './support/ids.js';
import { startScriptedUpstream, type ScriptedUpstream } from './support/scripted-upstream.js';

let upstream: ScriptedUpstream | undefined;

afterEach(async () => {
  await killLeftoverProcesses();
  await upstream?.close();
});

/** `npm start` on a free loopback port, once it has logged the URL it serves. */
async function startServer(env: Record<string, string>) {
  const server = startProcess('src/server.ts', { env: { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env } });
  const [, url = ''] = await server.waitFor(/"url":"(http:\/\/[^"]+)\/graphql"/);
  return { ...server, url };
}

describe('npm start', () => {
  it('finishes in-flight operations on SIGTERM, reports draining, then exits 0', async () => {
    upstream = await startScriptedUpstream();
    upstream.reply({ status: 200, json: memberBody(), delayMs: 700 });
    const server = await startServer({ EP_API_BASE_URL: upstream.url, SHUTDOWN_GRACE_MS: '5000' });

    expect((await fetch(`${server.url}/readiness`)).status).toBe(200);
    const inFlight = fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TOKEN },
      body: JSON.stringify({ query: `{ accountMember(id: "${MEMBER_ID}") { name } }` }),
    });
    // Wait until the operation has reached the upstream, then ask the process to stop.
    while (upstream.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    void server.stop('SIGTERM');

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { accountMember: { name: 'Ron Swanson' } } });
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"draining"');
    expect(server.output()).toContain('"msg":"stopped"');
    expect(server.output()).not.toContain(TOKEN.slice(7));
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('keeps serving for SHUTDOWN_DELAY_MS after SIGTERM while /readiness answers 503', async () => {
    upstream = await startScriptedUpstream();
    upstream.reply({ status: 200, json: memberBody() });
    const server = await startServer({ EP_API_BASE_URL: upstream.url, SHUTDOWN_DELAY_MS: '1500' });
    expect((await fetch(`${server.url}/readiness`)).status).toBe(200);

    void server.stop('SIGTERM');
    await server.waitFor(/"msg":"draining"/);
    const readiness = await fetch(`${server.url}/readiness`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ ready: false, state: 'draining' });
    // New work is still answered during the delay.
    const late = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TOKEN },
      body: JSON.stringify({ query: `{ accountMember(id: "${MEMBER_ID}") { name } }` }),
    });
    expect(await late.json()).toEqual({ data: { accountMember: { name: 'Ron Swanson' } } });
    expect(await server.exited).toBe(0);
  });

  it('answers /readiness 200 when ready and 503 while starting or draining', async () => {
    upstream = await startScriptedUpstream();
    const gateway = await startGateway({ upstreamUrl: upstream.url });
    try {
      const readiness = async () => {
        const response = await fetch(`${gateway.url}/readiness`);
        return { status: response.status, body: await response.json() };
      };
      expect(await readiness()).toEqual({ status: 200, body: { ready: true, state: 'ready' } });
      gateway.gateway.lifecycle.state = 'draining';
      expect(await readiness()).toEqual({ status: 503, body: { ready: false, state: 'draining' } });
      gateway.gateway.lifecycle.state = 'starting';
      expect((await readiness()).status).toBe(503);
    } finally {
      await gateway.close();
    }
  });

  it('refuses to start with an unreadable TRUSTED_DOCUMENTS_FILE and names the variable', async () => {
    const server = startProcess('src/server.ts', {
      env: { PORT: '0', TRUSTED_DOCUMENTS_FILE: '/nonexistent/manifest.json' },
    });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain('Invalid TRUSTED_DOCUMENTS_FILE: cannot read /nonexistent/manifest.json');
  });
});
