/** The process: `npm start` serves, reports readiness, and on SIGTERM drains in-flight work and exits 0. */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from './support/gateway.js';
import { MEMBER_ID, TOKEN, memberBody } from './support/ids.js';
import { startScriptedUpstream, type ScriptedUpstream } from './support/scripted-upstream.js';

let child: ChildProcess | undefined;
let upstream: ScriptedUpstream | undefined;

afterEach(async () => {
  child?.kill('SIGKILL');
  await upstream?.close();
});

function startServer(env: Record<string, string>): Promise<{ url: string; logs: () => string; exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let output = '';
  const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ url: match[1], logs: () => output, exited });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
  });
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
    child?.kill('SIGTERM');

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { accountMember: { name: 'Ron Swanson' } } });
    expect(await server.exited).toBe(0);
    expect(server.logs()).toContain('"msg":"draining"');
    expect(server.logs()).toContain('"msg":"stopped"');
    expect(server.logs()).not.toContain(TOKEN.slice(7));
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('answers /readiness 200 when ready and 503 while starting or draining', async () => {
    upstream = await startScriptedUpstream();
    const gateway = await startGateway({ upstreamUrl: upstream.url });
    try {
      const readiness = async () => {
        const response = await fetch(`${gateway.url}/readiness`);
        return { status: response.status, body: await response.json() };
      };
      expect(await readiness()).toEqual({ status: 200, body: { ready: true, state: 'ready', upstream: 'closed' } });
      gateway.gateway.lifecycle.state = 'draining';
      expect(await readiness()).toEqual({ status: 503, body: { ready: false, state: 'draining', upstream: 'closed' } });
      gateway.gateway.lifecycle.state = 'starting';
      expect((await readiness()).status).toBe(503);
    } finally {
      await gateway.close();
    }
  });

  it('refuses to start with an unreadable TRUSTED_DOCUMENTS_FILE and names the variable', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { ...process.env, PORT: '0', TRUSTED_DOCUMENTS_FILE: '/nonexistent/manifest.json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid TRUSTED_DOCUMENTS_FILE: cannot read /nonexistent/manifest.json');
  });
});
