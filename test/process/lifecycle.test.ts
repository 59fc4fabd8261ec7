/**
 * The process, as production runs it: `node dist/server.js` and `npm start` serve, report
 * readiness, and on SIGTERM or SIGINT, whoever it reaches, drain in-flight work and exit 0,
 * leaving no gateway process behind.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { killLeftoverProcesses, startProcess } from '../support/child-process.js';
import { startGateway } from '../support/gateway.js';
import { TOKEN } from '../support/ids.js';
import { memberBody } from '../support/bodies.js';
import { expectAnswered, operationInFlight, readMember, served, settings } from '../support/lifecycle.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

let upstream: ScriptedUpstream | undefined;

/** Opens a new TCP connection to the URL's port: 'connected', or the error code that refused it. */
function connectTo(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

afterEach(async () => {
  await killLeftoverProcesses();
  await upstream?.close();
});

describe('node dist/server.js', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('finishes in-flight operations on %s, then exits 0', async (signal) => {
    upstream = await startScriptedUpstream();
    const server = await served(startProcess('dist/server.js', { env: settings({ EP_API_BASE_URL: upstream.url }) }));
    expect((await fetch(`${server.url}/readiness`)).status).toBe(200);
    const { response: inFlight, answer } = await operationInFlight(upstream!, server.url);

    let answered = false;
    void inFlight.then(() => (answered = true));

    void server.stop(signal);
    await server.waitFor(/"msg":"draining"/);
    // Draining: a new connection is refused by the process, still running, while the in-flight
    // operation (which Elastic Path answers only when the test says) is still waiting for its answer.
    expect(await connectTo(server.url)).toBe('ECONNREFUSED');
    expect(server.child.exitCode).toBeNull();
    expect(answered).toBe(false);
    answer();
    await expectAnswered(inFlight);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
    expect(server.output()).not.toContain(TOKEN.slice(7));
  });

  it('keeps serving for SHUTDOWN_DELAY_MS after SIGTERM while /readiness answers 503', async () => {
    upstream = await startScriptedUpstream();
    upstream.reply({ status: 200, json: memberBody() });
    const server = await served(
      startProcess('dist/server.js', { env: settings({ EP_API_BASE_URL: upstream.url, SHUTDOWN_DELAY_MS: '1500' }) }),
    );
    expect((await fetch(`${server.url}/readiness`)).status).toBe(200);

    void server.stop('SIGTERM');
    await server.waitFor(/"msg":"draining"/);
    const readiness = await fetch(`${server.url}/readiness`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toEqual({ ready: false, state: 'draining' });
    // New work is still answered during the delay.
    await expectAnswered(readMember(server.url));
    expect(await server.exited).toBe(0);
  });

  it('closes connections still busy when SHUTDOWN_GRACE_MS is over, and exits 0', async () => {
    upstream = await startScriptedUpstream();
    const server = await served(
      startProcess('dist/server.js', { env: settings({ EP_API_BASE_URL: upstream.url, SHUTDOWN_GRACE_MS: '200' }) }),
    );
    upstream.reply({ hang: true });
    const stuck = readMember(server.url);
    while (upstream.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    void server.stop('SIGTERM');
    await expect(stuck).rejects.toThrow();
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('grace period over');
    // The caller saw its connection close, not an answer: logged as such, not as a 200.
    const logged = server
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"operation"'));
    expect(logged.map((line) => JSON.parse(line).status)).toEqual([499]);
  });

  it('refuses to start with an unreadable TRUSTED_DOCUMENTS_FILE and names the variable', async () => {
    const server = startProcess('dist/server.js', {
      env: { PORT: '0', TRUSTED_DOCUMENTS_FILE: '/nonexistent/manifest.json' },
    });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain('Invalid TRUSTED_DOCUMENTS_FILE: cannot read /nonexistent/manifest.json');
  });
});

describe('/readiness', () => {
  it('answers 200 when ready and 503 while starting or draining', async () => {
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
});
