/**
 * The emulator's injected faults, as a client on real sockets sees them: latency (before and
 * after processing), 5xx and 429 answers, bursts, resets before and after processing, truncated bodies, stale keep-alive; their
 * scoping, counts and seeds; and the fault flags of `npm run emulator`.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator } from '../../src/emulator/emulator.js';
import { parseFaultFlags } from '../../src/emulator/fault-flags.js';
import { DEMO } from '../../src/emulator/seed.js';
import { killLeftoverProcesses, startProcess } from '../support/child-process.js';
import { startEmulator, type EmulatorHarness } from './harness.js';
import { epError } from '../support/bodies.js';

const { acme } = DEMO.accounts;
const { andy } = DEMO.members;
const acmeMemberships = `/v2/accounts/${acme.id}/account-memberships`;
const joinAndy = JSON.stringify({ data: { type: 'account_membership', account_member_id: andy.id } });

let ep: EmulatorHarness;
let agent: Agent;
const sockets: Socket[] = [];

beforeEach(async () => {
  ep = await startEmulator();
  agent = new Agent();
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await agent.destroy();
  await ep.close();
});

/** A call through undici, which reports socket errors as they are (ECONNRESET, other side closed). */
function send(path: string, { method = 'GET', body }: { method?: string; body?: string } = {}) {
  return request(`${ep.baseUrl}${path}`, {
    method,
    dispatcher: agent,
    headers: {
      authorization: `Bearer ${ep.token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body,
  });
}

/** The statuses of `count` GET /v2/accounts, one after the other. */
async function statusesOf(count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 1) statuses.push((await ep.call('/v2/accounts')).status);
  return statuses;
}

function login() {
  return fetch(`${ep.baseUrl}/oauth/access_token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }),
  });
}

interface RawResponse {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: Buffer;
}

/** One keep-alive connection spoken to byte by byte, to see exactly what the server sends and when it closes. */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private ended = false;
  private wake: () => void = () => {};
  /** Resolves when the server ends the connection. */
  readonly serverClosed: Promise<void>;

  constructor(
    readonly socket: Socket,
    private readonly host: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    const end = (): void => {
      this.ended = true;
      this.wake();
    };
    socket.on('end', end);
    socket.on('error', end);
    socket.on('close', end);
    this.serverClosed = once(socket, 'end').then(() => undefined);
  }

  static async open(baseUrl: string): Promise<RawConnection> {
    const { hostname, port, host } = new URL(baseUrl);
    const socket = connect(Number(port), hostname);
    sockets.push(socket);
    await once(socket, 'connect');
    return new RawConnection(socket, host);
  }

  send(method: string, path: string, { token, body = '' }: { token?: string; body?: string } = {}): void {
    this.socket.write(
      `${method} ${path} HTTP/1.1\r\nhost: ${this.host}\r\n` +
        (token === undefined ? '' : `authorization: Bearer ${token}\r\n`) +
        (body === '' ? '' : `content-type: application/x-www-form-urlencoded\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`) +
        `\r\n${body}`,
    );
  }

  /** The next response; its body is short of Content-Length when the server closed early. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd !== -1) {
        const [statusLine = '', ...lines] = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(
          lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
        );
        const length = Number(headers['content-length'] ?? 0);
        const available = this.buffer.length - headEnd - 4;
        if (available >= length || this.ended) {
          const body = this.buffer.subarray(headEnd + 4, headEnd + 4 + Math.min(length, available));
          this.buffer = this.buffer.subarray(headEnd + 4 + body.length);
          return { status: Number(statusLine.split(' ')[1]), headers, body };
        }
      } else if (this.ended) {
        throw new Error(`The connection ended before a response: ${this.buffer.toString('latin1')}`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

describe('latency', () => {
  it('delays the answer by at least latencyMs, then answers normally', async () => {
    ep.emulator.faults.set({ latencyMs: 150 });

    const started = performance.now();
    const answer = await ep.call('/v2/accounts');

    expect(performance.now() - started).toBeGreaterThanOrEqual(149);
    expect(answer.status).toBe(200);
    expect(ep.emulator.faults.counts.latency).toBe(1);
  });

  it('delays each answer by at least the minimum of a [min, max] range', async () => {
    ep.emulator.faults.set({ latencyMs: [100, 200], seed: 3 });

    for (let i = 0; i < 4; i += 1) {
      const started = performance.now();
      expect((await ep.call('/v2/accounts')).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(99);
    }
    expect(ep.emulator.faults.counts.latency).toBe(4);
  });

  it('lets close() end a request still waiting out its latency: the client sees its connection closed', async () => {
    ep.emulator.faults.set({ latencyMs: 60_000 });
    const pending = send('/v2/accounts').then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    await expect.poll(() => ep.emulator.requests.length).toBe(1);

    await ep.emulator.close();

    expect(await pending).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
  });

  it('keeps serving after a client gives up during the latency', async () => {
    ep.emulator.faults.set({ latencyMs: 100 });
    const impatient = await RawConnection.open(ep.baseUrl);
    impatient.send('GET', '/v2/accounts', { token: ep.token });
    await expect.poll(() => ep.emulator.requests.length).toBe(1);
    impatient.socket.destroy();

    // Its latency ends first (timers of one length fire in the order they were set), so this one
    // is answered only after the emulator met the abandoned request's closed socket.
    expect((await ep.call('/v2/accounts')).status).toBe(200);
  });
});

describe('latencyAfterProcessingMs', () => {
  it('creates the membership of a POST at once, and answers only after the delay', async () => {
    ep.emulator.faults.set({ latencyAfterProcessingMs: 2000 });

    const started = performance.now();
    let answered = false;
    const answer = send(acmeMemberships, { method: 'POST', body: joinAndy }).finally(() => (answered = true));
    await expect.poll(() => ep.emulator.store.membershipsOfAccount(acme.id)?.has(andy.id), { interval: 10 }).toBe(true);
    // The membership is there while its answer is still held.
    expect(answered).toBe(false);
    const { statusCode } = await answer;

    expect(statusCode).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1999);
    expect(ep.emulator.faults.counts).toMatchObject({ latencyAfterProcessing: 1, latency: 0 });
  });

  it('keeps the membership of a client that timed out waiting: the write landed, the answer never came', async () => {
    ep.emulator.faults.set({ latencyAfterProcessingMs: 2000, methods: ['POST'] });
    const impatient = new Agent({ headersTimeout: 200 });
    try {
      const failure = await request(`${ep.baseUrl}${acmeMemberships}`, {
        method: 'POST',
        dispatcher: impatient,
        headers: { authorization: `Bearer ${ep.token}`, 'content-type': 'application/json' },
        body: joinAndy,
      }).catch((error: unknown) => error);

      expect(failure).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      expect(ep.emulator.store.membershipsOfAccount(acme.id)?.has(andy.id)).toBe(true);
      // Reads stay prompt: the delay is scoped to POST.
      const listed = await ep.call(`${acmeMemberships}?filter=eq(account_member_id,${andy.id})`);
      expect(listed.body.data).toHaveLength(1);
    } finally {
      await impatient.destroy();
    }
  });

  it('holds no answer it does not serve: an injected error is sent at once', async () => {
    ep.emulator.faults.set({ latencyAfterProcessingMs: 60_000, errorRate: { 503: 1 } });

    // Answered at all within the test's time means answered long before the minute it would hold.
    expect(await statusesOf(1)).toEqual([503]);
    expect(ep.emulator.faults.counts.latencyAfterProcessing).toBe(0);
  });

  it('lets close() end a request whose answer is being held', async () => {
    ep.emulator.faults.set({ latencyAfterProcessingMs: 60_000 });
    const pending = send(acmeMemberships, { method: 'POST', body: joinAndy }).then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    await expect.poll(() => ep.emulator.faults.counts.latencyAfterProcessing).toBe(1);

    await ep.emulator.close();

    expect(await pending).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
    expect(ep.emulator.store.membershipsOfAccount(acme.id)?.has(andy.id)).toBe(true);
  });
});

describe('errorRate', () => {
  it.each([
    [500, epError('500', 'Internal Server Error', 'there was a problem processing your request')],
    [502, epError(502, 'Bad Gateway')],
    [503, epError(503, 'Service Unavailable')],
    [504, epError(504, 'Gateway Timeout')],
    [429, epError(429, 'Too Many Requests')],
  ] as const)('answers %i with Elastic Path error body and no Retry-After, and records the request', async (status, body) => {
    ep.emulator.faults.set({ errorRate: { [status]: 1 } });

    const answer = await ep.call('/v2/accounts');

    expect(answer.status).toBe(status);
    expect(answer.body).toEqual(body);
    expect(answer.headers.get('retry-after')).toBeNull();
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(ep.emulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v2/accounts']);
    expect(ep.emulator.faults.counts.status).toEqual({ [String(status)]: 1 });
  });

  it('does not process a request it answers with an error: a POST creates no membership', async () => {
    ep.emulator.faults.set({ errorRate: { 500: 1 } });

    const answer = await ep.call(acmeMemberships, { method: 'POST', body: joinAndy, headers: { 'content-type': 'application/json' } });

    expect(answer.status).toBe(500);
    expect(ep.emulator.store.membershipCount(acme.id)).toBe(3);
  });

  it('checks the statuses in key order, so of two certain ones the first key wins', async () => {
    ep.emulator.faults.set({ errorRate: { 500: 1, 503: 1 } });

    expect(await statusesOf(3)).toEqual([500, 500, 500]);
  });

  it('answers each status for roughly its share of requests and serves the rest', async () => {
    ep.emulator.faults.set({ errorRate: { 500: 0.2, 503: 0.3 }, seed: 11 });

    const statuses = await statusesOf(200);
    const share = (status: number) => statuses.filter((s) => s === status).length / statuses.length;

    expect(share(500)).toBeGreaterThan(0.1);
    expect(share(500)).toBeLessThan(0.3);
    expect(share(503)).toBeGreaterThan(0.2);
    expect(share(503)).toBeLessThan(0.4);
    expect(share(200)).toBeGreaterThan(0.4);
    expect(ep.emulator.faults.counts.status).toEqual({
      '500': statuses.filter((s) => s === 500).length,
      '503': statuses.filter((s) => s === 503).length,
    });
  });
});

describe('burst429', () => {
  it('answers 429 to the next N requests without processing them, then resumes normal service', async () => {
    ep.emulator.faults.set({ burst429: 3 });

    const statuses = await statusesOf(3);
    const post = await ep.call(acmeMemberships, { method: 'POST', body: joinAndy, headers: { 'content-type': 'application/json' } });

    expect(statuses).toEqual([429, 429, 429]);
    expect(post.status).toBe(201);
    expect(await statusesOf(2)).toEqual([200, 200]);
    expect(ep.emulator.store.membershipCount(acme.id)).toBe(4);
    expect(ep.emulator.requests).toHaveLength(6);
    expect(ep.emulator.faults.counts.status).toEqual({ '429': 3 });
  });
});

describe('resetRate', () => {
  it('resets the connection after reading the request: the client sees ECONNRESET and nothing is created', async () => {
    ep.emulator.faults.set({ resetRate: 1 });

    const failure = await send(acmeMemberships, { method: 'POST', body: joinAndy }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'ECONNRESET' });
    expect(ep.emulator.store.membershipCount(acme.id)).toBe(3);
    expect(ep.emulator.requests.map((r) => r.body)).toEqual([joinAndy]);
    expect(ep.emulator.faults.counts.resets).toBe(1);
  });
});

describe('resetAfterProcessingRate', () => {
  it('creates the membership of a POST and then resets the connection: the client gets no answer', async () => {
    ep.emulator.faults.set({ resetAfterProcessingRate: 1 });

    const failure = await send(acmeMemberships, { method: 'POST', body: joinAndy }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'ECONNRESET' });
    expect(ep.emulator.store.membershipCount(acme.id)).toBe(4);
    expect(ep.emulator.store.membershipsOfAccount(acme.id)?.has(andy.id)).toBe(true);
    expect(ep.emulator.faults.counts).toMatchObject({ resetsAfterProcessing: 1, resets: 0 });
  });
});

describe('truncateRate', () => {
  const accountPath = `/v2/accounts/${acme.id}`;

  it('sends the real status and full Content-Length but only half the body, so reading it fails', async () => {
    ep.emulator.faults.set({ truncateRate: 1 });

    const answer = await send(accountPath);

    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
    await expect(answer.body.text()).rejects.toThrow();
    expect(ep.emulator.faults.counts.truncations).toBe(1);
  });

  it('cuts the body exactly half way through the bytes of the real answer', async () => {
    const whole = await RawConnection.open(ep.baseUrl);
    whole.send('GET', accountPath, { token: ep.token });
    const real = await whole.response();
    ep.emulator.faults.set({ truncateRate: 1 });

    const cut = await RawConnection.open(ep.baseUrl);
    cut.send('GET', accountPath, { token: ep.token });
    const truncated = await cut.response();
    await cut.serverClosed;

    expect(truncated.status).toBe(real.status);
    expect(truncated.headers['content-length']).toBe(String(real.body.length));
    expect(truncated.body.toString()).toBe(real.body.subarray(0, Math.floor(real.body.length / 2)).toString());
  });
});

describe('staleKeepAlive', () => {
  it('closes a keep-alive connection right after writing its response, which says nothing of closing', async () => {
    ep.emulator.faults.set({ staleKeepAlive: true });
    const connection = await RawConnection.open(ep.baseUrl);

    connection.send('GET', '/v2/accounts', { token: ep.token });
    const answer = await connection.response();
    await connection.serverClosed;

    expect(answer.status).toBe(200);
    expect(answer.headers.connection).not.toBe('close');
    expect(JSON.parse(answer.body.toString()).data).toHaveLength(3);
    expect(ep.emulator.faults.counts.staleCloses).toBe(1);
  });
});

describe('scope', () => {
  it('affects only the listed methods', async () => {
    ep.emulator.faults.set({ errorRate: { 503: 1 }, methods: ['post'] });

    const get = await ep.call('/v2/accounts');
    const post = await ep.call(acmeMemberships, { method: 'POST', body: joinAndy, headers: { 'content-type': 'application/json' } });

    expect(get.status).toBe(200);
    expect(post.status).toBe(503);
    expect(ep.emulator.faults.counts.status).toEqual({ '503': 1 });
  });

  it('never affects POST /oauth/access_token, whose keep-alive connection stays usable', async () => {
    ep.emulator.faults.set({ errorRate: { 503: 1 }, staleKeepAlive: true, latencyMs: 50 });
    const connection = await RawConnection.open(ep.baseUrl);

    connection.send('POST', '/oauth/access_token', {
      body: 'grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret',
    });
    const token = await connection.response();
    connection.send('GET', '/v2/accounts', { token: ep.token });
    const accounts = await connection.response();

    expect(token.status).toBe(200);
    expect(JSON.parse(token.body.toString())).toMatchObject({ token_type: 'Bearer' });
    expect(accounts.status).toBe(503);
    expect((await login()).status).toBe(200);
    expect(ep.emulator.faults.counts).toMatchObject({ latency: 1, status: { '503': 1 } });
  });
});

describe('the controller', () => {
  it('counts what was injected since set(), and from zero again after resetCounts()', async () => {
    ep.emulator.faults.set({ burst429: 2, latencyMs: 1 });
    await statusesOf(3);

    expect(ep.emulator.faults.counts).toEqual({
      latency: 3,
      latencyAfterProcessing: 0,
      status: { '429': 2 },
      resets: 0,
      resetsAfterProcessing: 0,
      truncations: 0,
      staleCloses: 0,
    });

    ep.emulator.faults.resetCounts();
    await statusesOf(1);
    expect(ep.emulator.faults.counts).toMatchObject({ latency: 1, status: {} });

    ep.emulator.faults.set({ latencyMs: 1 });
    expect(ep.emulator.faults.counts).toMatchObject({ latency: 0, status: {} });
  });

  it('repeats the same faults for the same seed, and others for another seed', async () => {
    const settings = { errorRate: { 500: 0.2, 503: 0.3 }, seed: 42 };
    ep.emulator.faults.set(settings);
    const first = await statusesOf(40);
    ep.emulator.faults.set(settings);
    const second = await statusesOf(40);
    ep.emulator.faults.set({ ...settings, seed: 43 });
    const other = await statusesOf(40);

    expect(new Set(first)).toEqual(new Set([200, 500, 503]));
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('restores normal service on clear(), ending a burst and keeping connections open', async () => {
    ep.emulator.faults.set({ burst429: 10, staleKeepAlive: true });
    expect(await statusesOf(1)).toEqual([429]);

    ep.emulator.faults.clear();
    const connection = await RawConnection.open(ep.baseUrl);
    connection.send('GET', '/v2/accounts', { token: ep.token });
    const first = await connection.response();
    connection.send('GET', '/v2/accounts', { token: ep.token });
    const second = await connection.response();

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await statusesOf(2)).toEqual([200, 200]);
    expect(ep.emulator.faults.counts).toMatchObject({ status: {}, staleCloses: 0 });
  });

  it('starts with the faults given in the options', async () => {
    const emulator = createEmulator({ faults: { errorRate: { 503: 1 } } });
    const baseUrl = await emulator.listen(0);
    try {
      const answer = await fetch(`${baseUrl}/v2/accounts`, { headers: { authorization: `Bearer ${emulator.issueToken()}` } });
      expect(answer.status).toBe(503);
    } finally {
      await emulator.close();
    }
  });

  it('refuses an invalid setting, naming it, and keeps the current settings', async () => {
    ep.emulator.faults.set({ errorRate: { 503: 1 } });

    expect(() => ep.emulator.faults.set({ resetRate: 1.5 })).toThrow(/resetRate/);
    expect(() => ep.emulator.faults.set({ latencyMs: [300, 50] })).toThrow(/latencyMs/);
    expect(() => ep.emulator.faults.set({ latencyAfterProcessingMs: -1 })).toThrow(/latencyAfterProcessingMs/);
    expect(() => ep.emulator.faults.set({ errorRate: { 418: 1 } as never })).toThrow(/errorRate/);
    expect(await statusesOf(1)).toEqual([503]);
  });
});

describe('robustness', () => {
  it('stays up through every fault at once on concurrent requests, then serves normally and closes', async () => {
    ep.emulator.faults.set({
      latencyMs: [0, 20],
      errorRate: { 500: 0.1, 503: 0.1 },
      resetRate: 0.15,
      resetAfterProcessingRate: 0.15,
      truncateRate: 0.15,
      staleKeepAlive: true,
      seed: 5,
    });

    const outcomes = await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        try {
          const answer = await send(i % 3 === 0 ? acmeMemberships : '/v2/accounts');
          await answer.body.text();
          return String(answer.statusCode);
        } catch (error) {
          return (error as { code?: string }).code ?? 'error';
        }
      }),
    );
    const { counts } = ep.emulator.faults;
    ep.emulator.faults.clear();

    // A connection closed as stale can also fail a request sent on it, so only the kinds are exact.
    expect(new Set(outcomes)).toEqual(new Set(['200', '500', '503', 'ECONNRESET', 'UND_ERR_SOCKET']));
    expect(counts).toMatchObject({
      latency: expect.any(Number),
      status: { '500': expect.any(Number), '503': expect.any(Number) },
    });
    expect(Math.min(counts.resets, counts.resetsAfterProcessing, counts.truncations, counts.staleCloses)).toBeGreaterThan(0);
    expect((await ep.call('/v2/accounts')).status).toBe(200);
  });
});

describe('fault flags', () => {
  it('turns every flag into its setting', () => {
    expect(
      parseFaultFlags([
        '--latency-ms=50-300',
        '--latency-after-processing-ms=2000',
        '--error-rate=503:0.1,500:0.05',
        '--burst-429=20',
        '--reset-rate=0.05',
        '--reset-after-processing-rate=0.02',
        '--truncate-rate=0.05',
        '--stale-keep-alive',
        '--fault-methods=get,POST',
        '--fault-seed=42',
      ]),
    ).toEqual({
      latencyMs: [50, 300],
      latencyAfterProcessingMs: 2000,
      errorRate: { 503: 0.1, 500: 0.05 },
      burst429: 20,
      resetRate: 0.05,
      resetAfterProcessingRate: 0.02,
      truncateRate: 0.05,
      staleKeepAlive: true,
      methods: ['GET', 'POST'],
      seed: 42,
    });
    expect(parseFaultFlags(['--latency-ms=200'])).toEqual({ latencyMs: 200 });
    expect(parseFaultFlags(['--latency-after-processing-ms=1000-3000'])).toEqual({ latencyAfterProcessingMs: [1000, 3000] });
    expect(() => parseFaultFlags(['--latency-after-processing-ms=3000-1000'])).toThrow(/--latency-after-processing-ms/);
    expect(parseFaultFlags([])).toEqual({});
  });
});

describe('npm run emulator with fault flags', () => {
  afterEach(killLeftoverProcesses);

  const startMain = (args: string[]) => startProcess('src/emulator/main.ts', { args, env: { EMULATOR_PORT: '0' } });

  it('injects the faults its flags name, prints them, keeps logins working and stops on SIGTERM', async () => {
    const main = startMain(['--error-rate=503:1', '--fault-methods=GET', '--fault-seed=42']);
    await main.waitFor(/faults: [^\n]*\n/);
    const stdout = main.stdout();
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    const token = /ready token[^:]*: ([0-9a-f]{40})/.exec(stdout)?.[1];

    const accounts = await fetch(`${url}/v2/accounts`, { headers: { authorization: `Bearer ${token}` } });
    const login = await fetch(`${url}/oauth/access_token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }),
    });

    expect(stdout).toMatch(/faults: .*503 for 100%.*only on GET.*seed 42/);
    expect(accounts.status).toBe(503);
    expect(await accounts.json()).toEqual(epError(503, 'Service Unavailable'));
    expect(login.status).toBe(200);
    expect(await main.stop('SIGTERM')).toBe(0);
  });

  it('prints that there are no faults when no flag is given', async () => {
    const main = startMain([]);

    await main.waitFor(/faults: [^\n]*\n/);
    expect(main.stdout()).toMatch(/faults: none\n/);
    expect(await main.stop('SIGTERM')).toBe(0);
  });

  it.each([
    ['--latency-ms=fast', '--latency-ms'],
    ['--latency-ms=300-50', '--latency-ms'],
    ['--error-rate=418:0.5', '--error-rate'],
    ['--error-rate=503:2', '--error-rate'],
    ['--burst-429=-1', '--burst-429'],
    ['--reset-rate=1.5', '--reset-rate'],
    ['--reset-after-processing-rate=often', '--reset-after-processing-rate'],
    ['--truncate-rate=', '--truncate-rate'],
    ['--stale-keep-alive=yes', '--stale-keep-alive'],
    ['--fault-methods=GET,P0ST', '--fault-methods'],
    ['--fault-seed=x', '--fault-seed'],
    ['--latency', '--latency'],
  ])('refuses to start with %s and names %s', async (flag, name) => {
    const main = startMain([flag]);

    expect(await main.exited).toBe(1);
    expect(main.stderr()).toContain(name);
    expect(main.stdout()).not.toContain('listening');
  });
});
