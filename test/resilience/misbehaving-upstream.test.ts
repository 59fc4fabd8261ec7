/**
 * Surviving a misbehaving Elastic Path: retries that never multiply load or repeat a write, the
 * circuit breaker, the outbound limiter, deadlines, and untrusted answers. Each scenario asserts
 * both what the caller saw and how many calls Elastic Path received.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccountMemberDocument, CreateAccountMembershipMemberIdOnlyDocument } from '../gql/graphql.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBER_ID, TOKEN } from '../support/ids.js';
import { epError, memberBody, membershipBody, pageBody } from '../support/bodies.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway;

async function start(env: Record<string, string> = {}) {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({ upstreamUrl: upstream.url, env: { EP_API_RETRY_BASE_MS: '5', ...env } });
}

afterEach(async () => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  await gateway?.close();
  upstream?.verify();
  await upstream?.close();
});

const readMember = () => gateway.execute(AccountMemberDocument, { id: MEMBER_ID }, { authorization: TOKEN });
// Only the member's id: nothing is read beside the write, so every call these tests count is the create's.
const create = () =>
  gateway.execute(
    CreateAccountMembershipMemberIdOnlyDocument,
    { accountId: ACCOUNT_ID, accountMemberId: MEMBER_ID },
    { authorization: TOKEN },
  );
const unavailable = { status: 503, json: epError('503', 'Service Unavailable') };

/** An answer the test releases when it chooses: the call stays in flight until then. */
function held() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

/** Resolves once `check` holds, checked at every turn of the event loop: an event, not a margin. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

describe('retries', () => {
  it.each([
    ['503', unavailable],
    ['502', { status: 502, body: 'bad gateway' }],
    ['504', { status: 504, body: 'gateway timeout' }],
    ['429', { status: 429, json: epError('429', 'Too Many Requests') }],
    ['a connection reset', { reset: true as const }],
  ])('retries a read after %s and returns the answer', async (_name, failure) => {
    await start();
    upstream.reply(failure, { status: 200, json: memberBody() });
    const result = await readMember();
    expect(result.errors).toBeUndefined();
    expect(result.data?.accountMember?.name).toBe('Ron Swanson');
    expect(upstream.received).toHaveLength(2);
  });

  it('retries a read whose reused keep-alive connection is closed under it, and answers it', async () => {
    await start();
    upstream.reply({ status: 200, json: memberBody() }, { close: true }, { status: 200, json: memberBody() });
    const first = await readMember();
    const second = await readMember();
    expect([first, second].map((result) => result.errors ?? result.data?.accountMember?.name)).toEqual(['Ron Swanson', 'Ron Swanson']);
    const [opened, stale, fresh] = upstream.received;
    // The second read went out on the first one's idle connection, which closed without an answer:
    // the race a server's keep-alive timeout makes. It was sent again on a new connection.
    expect(stale?.clientPort).toBe(opened?.clientPort);
    expect(fresh?.clientPort).not.toBe(stale?.clientPort);
    expect(gateway.gateway.upstream.stats()).toMatchObject({ calls: 2, retries: 1 });
  });

  it.each([
    ['500', { status: 500, json: epError('500', 'Internal Server Error') }, 'UPSTREAM_ERROR'],
    ['400', { status: 400, json: epError('400', 'Bad Request', 'bad') }, 'BAD_USER_INPUT'],
    ['401', { status: 401, json: epError(401, 'Unable to validate access token') }, 'UNAUTHENTICATED'],
    ['403', { status: 403, json: epError('403', 'Forbidden', 'forbidden') }, 'FORBIDDEN'],
    ['422', { status: 422, json: epError('422', 'Unprocessable Entity') }, 'BAD_USER_INPUT'],
  ])('never repeats a read answered %s', async (_name, answer, code) => {
    await start();
    upstream.reply(answer);
    const result = await readMember();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual([code]);
    expect(upstream.received).toHaveLength(1);
    expect(gateway.gateway.upstream.stats()).toMatchObject({ calls: 1, retries: 0 });
  });

  it('caps the backoff at 2 s however large EP_API_RETRY_BASE_MS is', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    // Uncapped, the retry would wait 0.999 × 60 s, past the 15 s deadline, and the 503 would stand.
    await start({ EP_API_RETRY_BASE_MS: '60000', EP_API_MAX_ATTEMPTS: '2', OPERATION_TIMEOUT_MS: '15000' });
    upstream.reply(unavailable, { status: 200, json: memberBody() });
    const result = await readMember();
    expect(result.data?.accountMember?.name).toBe('Ron Swanson');
    const [first, second] = upstream.received.map((request) => request.at);
    // 0.999 × min(2 s, 60 s): the retry waited (just under) 2 s; load can only add to that.
    expect(second! - first!).toBeGreaterThanOrEqual(1_990);
  }, 30_000);

  it('doubles the longest backoff with each retry', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    await start({ EP_API_RETRY_BASE_MS: '300', EP_API_MAX_ATTEMPTS: '3' });
    upstream.reply(unavailable, unavailable, { status: 200, json: memberBody() });
    const result = await readMember();
    expect(result.data?.accountMember?.name).toBe('Ron Swanson');
    const [first, second, third] = upstream.received.map((request) => request.at);
    // 0.999 × 300 ms, then 0.999 × 600 ms; load can only add to either.
    expect(second! - first!).toBeGreaterThanOrEqual(299);
    expect(third! - second!).toBeGreaterThanOrEqual(599);
  });

  it('gives up on a read after EP_API_MAX_ATTEMPTS attempts', async () => {
    await start({ EP_API_MAX_ATTEMPTS: '3' });
    upstream.reply(unavailable, unavailable, unavailable);
    const result = await readMember();
    expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(upstream.received).toHaveLength(3);
  });

  const noMembership = { status: 200, json: pageBody([]) };
  const methods = () => upstream.received.map((request) => request.method);

  it.each([
    ['503', unavailable, []],
    ['500', { status: 500, json: epError('500', 'Internal Server Error') }, []],
    // The answer was lost, so the membership is looked up (not found here) instead of sent again.
    ['a connection reset after sending', { reset: true as const }, ['GET']],
  ])('never repeats a create after %s', async (_name, failure, lookups) => {
    await start();
    upstream.reply(failure, ...(lookups.length > 0 ? [noMembership] : []));
    const result = await create();
    // A lost answer whose lookup found nothing may still have been applied: its own code, not UPSTREAM_*.
    expect(result.errors?.[0]?.extensions?.code).toMatch(lookups.length > 0 ? /^WRITE_OUTCOME_UNKNOWN$/ : /^UPSTREAM_/);
    expect(methods()).toEqual(['POST', ...lookups]);
  });

  it('never repeats a create that timed out, and looks it up instead', async () => {
    await start({ EP_API_TIMEOUT_MS: '1000' });
    upstream.reply({ hang: true }, noMembership);
    const result = await create();
    expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
    expect(methods()).toEqual(['POST', 'GET']);
  });

  it('repeats a create that Elastic Path refused with 429, creating it once', async () => {
    await start();
    upstream.reply({ status: 429, json: epError('429', 'Too Many Requests') }, { status: 201, json: membershipBody() });
    const result = await create();
    expect(result.data?.createAccountMembership).toMatchObject({ __typename: 'AccountMembership' });
    expect(upstream.received.filter((request) => request.method === 'POST')).toHaveLength(2);
  });

  it('repeats a create whose connection was refused, since it never reached Elastic Path', async () => {
    upstream = await startScriptedUpstream();
    // Nothing listens on port 1 (a freed ephemeral port could be taken by a parallel test).
    gateway = await startGateway({ upstreamUrl: 'http://127.0.0.1:1', env: { EP_API_RETRY_BASE_MS: '5', EP_API_MAX_ATTEMPTS: '3' } });
    const result = await create();
    expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(gateway.gateway.upstream.stats()).toMatchObject({ calls: 1, retries: 2 });
  });

  it('keeps retries within 10% of calls (plus a reserve of 10) while Elastic Path fails', async () => {
    await start({ EP_API_BREAKER_MIN_CALLS: '100000', EP_API_MAX_ATTEMPTS: '3' });
    upstream.always(unavailable);
    const calls = 200;
    for (let batch = 0; batch < calls / 20; batch += 1) {
      await Promise.all(Array.from({ length: 20 }, () => readMember()));
    }
    const { retries, calls: made } = gateway.gateway.upstream.stats();
    expect(made).toBe(calls);
    expect(upstream.received.length).toBe(calls + retries);
    expect(retries).toBeLessThanOrEqual(calls * 0.1 + 10);
    expect(retries).toBeGreaterThan(0);
  });

  it('never retries past the operation deadline, and answers when it ends rather than after the backoff', async () => {
    // Every backoff draws its longest jitter: the first retry would wait 1998 ms, far past the 150 ms deadline.
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    await start({ OPERATION_TIMEOUT_MS: '150', EP_API_RETRY_BASE_MS: '2000', EP_API_MAX_ATTEMPTS: '5' });
    upstream.always(unavailable);
    const backoffOver = new Promise<'backoff over'>((resolve) => setTimeout(() => resolve('backoff over'), 1_998));
    const answered = readMember().then((result) => ({ result }));
    // Which comes first, not by how much: the deadline ends the backoff, so the answer wins.
    const first = await Promise.race([answered, backoffOver]);
    expect(first).not.toBe('backoff over');
    // The last answer Elastic Path gave stands.
    expect((await answered).result.errors?.map((error) => error.extensions?.code)).toEqual(['UPSTREAM_UNAVAILABLE']);
    // Past the longest backoff: no retry ever went out.
    await backoffOver;
    expect(upstream.received).toHaveLength(1);
    expect(gateway.gateway.upstream.stats()).toMatchObject({ calls: 1, retries: 0 });
  });
});

describe('cancellation', () => {
  it('abandons the upstream call when the caller goes away', async () => {
    await start({ EP_API_TIMEOUT_MS: '10000' });
    upstream.reply({ hang: true });
    const caller = new AbortController();
    const pending = fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TOKEN },
      body: JSON.stringify({ query: `{ accountMember(id: "${MEMBER_ID}") { name } }` }),
      signal: caller.signal,
    }).catch(() => 'aborted');
    await upstream.whenReceived(1);
    caller.abort();
    expect(await pending).toBe('aborted');
    // The gateway closes its own request to Elastic Path instead of waiting out the timeout.
    await upstream.whenAbandoned(1);
    expect(upstream.abandoned()).toBe(1);
    expect(upstream.received).toHaveLength(1);
  });
});

describe('the circuit breaker', () => {
  const breakerEnv = {
    EP_API_BREAKER_MIN_CALLS: '4',
    EP_API_BREAKER_FAILURE_PERCENT: '50',
    // Long enough that the calls a test expects to fail fast come well inside it on a busy machine.
    EP_API_BREAKER_COOLDOWN_MS: '1000',
    EP_API_MAX_ATTEMPTS: '1',
  };
  const serverError = { status: 500, json: epError('500', 'Internal Server Error') };
  const member = { status: 200, json: memberBody() };
  /** The cooldown over, by the breaker's own clock: one probe may go. */
  const halfOpen = async () => {
    while (gateway.gateway.upstream.stats().breaker !== 'half-open') await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it('never opens for one account answering 500 forever, and healthy calls keep succeeding', async () => {
    await start(breakerEnv);
    for (let round = 0; round < 10; round += 1) {
      upstream.reply(serverError, serverError, serverError, member);
      for (let i = 0; i < 3; i += 1) expect((await readMember()).errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
      expect((await readMember()).data?.accountMember?.name).toBe('Ron Swanson');
    }
    expect(upstream.received).toHaveLength(40);
    expect(gateway.gateway.upstream.stats().breaker).toBe('closed');
  });

  it.each([
    ['502', { status: 502, body: 'bad gateway' }],
    ['503', unavailable],
    ['504', { status: 504, body: 'gateway timeout' }],
  ])('opens when Elastic Path answers %s, and then fails fast without calling it', async (_status, failure) => {
    await start(breakerEnv);
    upstream.reply(failure, failure, failure, failure);
    for (let i = 0; i < 4; i += 1) expect((await readMember()).errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(gateway.gateway.upstream.stats().breaker).toBe('open');
    expect((await readMember()).errors?.[0]?.message).toContain('pausing calls');
    expect(upstream.received).toHaveLength(4);
  });

  it('does not count answers the gateway refused itself (too large) as Elastic Path failing', async () => {
    await start({ ...breakerEnv, EP_API_MAX_RESPONSE_BYTES: '2048' });
    const tooLarge = { status: 200, json: { data: { ...memberBody().data, name: 'x'.repeat(5000) } } };
    upstream.reply(tooLarge, tooLarge, tooLarge, tooLarge, tooLarge, member);
    for (let i = 0; i < 5; i += 1) {
      expect((await readMember()).errors?.[0]?.message).toBe('Elastic Path sent a response larger than 2048 bytes.');
    }
    expect(gateway.gateway.upstream.stats().breaker).toBe('closed');
    expect((await readMember()).data?.accountMember?.name).toBe('Ron Swanson');
  });

  it("does not count answers that are the caller's fault (4xx) as failures", async () => {
    await start(breakerEnv);
    const notFound = { status: 404, json: epError('404', 'Not Found', 'not found') };
    upstream.reply(notFound, notFound, notFound, notFound, notFound, member);
    for (let i = 0; i < 5; i += 1) expect((await readMember()).data?.accountMember).toBeNull();
    expect((await readMember()).data?.accountMember?.name).toBe('Ron Swanson');
  });

  it('opens when Elastic Path refuses connections, fails fast, then probes and closes', async () => {
    // Nothing listens on port 1, so every connection is refused.
    gateway = await startGateway({ upstreamUrl: 'http://127.0.0.1:1', env: breakerEnv });
    upstream = await startScriptedUpstream();
    for (let i = 0; i < 4; i += 1) expect((await readMember()).errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(gateway.gateway.upstream.stats()).toMatchObject({ breaker: 'open', calls: 4 });

    const fast = await readMember();
    expect(fast.errors?.[0]).toMatchObject({
      extensions: { code: 'UPSTREAM_UNAVAILABLE' },
      message: expect.stringContaining('pausing calls'),
    });
    // Readiness is the process's own: the replica stays in rotation and answers with a code.
    expect((await fetch(`${gateway.url}/readiness`)).status).toBe(200);
    await halfOpen();
    const probe = await readMember();
    expect(probe.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(probe.errors?.[0]?.message).not.toContain('pausing calls');
    // The failed probe reopened it.
    expect(gateway.gateway.upstream.stats().breaker).toBe('open');
  });

  it('opens when every call times out, and a real answer to the probe closes it', async () => {
    await start({ ...breakerEnv, EP_API_TIMEOUT_MS: '1000' });
    const silent = { hang: true as const };
    upstream.reply(silent, silent, silent, silent);
    for (let i = 0; i < 4; i += 1) expect((await readMember()).errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(gateway.gateway.upstream.stats().breaker).toBe('open');
    expect((await readMember()).errors?.[0]?.message).toContain('pausing calls');
    expect(upstream.received).toHaveLength(4);

    await halfOpen();
    upstream.reply(member);
    expect((await readMember()).data?.accountMember?.name).toBe('Ron Swanson');
    expect(gateway.gateway.upstream.stats().breaker).toBe('closed');
  });

  it('fails calls fast while a probe is in flight, instead of holding them on it', async () => {
    await start({ ...breakerEnv, EP_API_TIMEOUT_MS: '1000' });
    const silent = { hang: true as const };
    upstream.reply(silent, silent, silent, silent);
    for (let i = 0; i < 4; i += 1) await readMember();
    await halfOpen();

    const answer = held();
    upstream.reply({ ...member, until: answer.promise });
    const probe = readMember();
    // The probe is in flight: Elastic Path has it, and has not answered.
    await upstream.whenReceived(5);
    const during = await readMember();
    answer.release();
    expect(during.errors?.[0]?.message).toContain('pausing calls');
    expect((await probe).data?.accountMember?.name).toBe('Ron Swanson');
    expect(upstream.received).toHaveLength(5);
  });

  // Five calls, two answered 503 (40%). The breaker weighs the window when a call fails: the second
  // 503 comes last, with the window holding all five (EP_API_BREAKER_MIN_CALLS is 4).
  const twoInFiveFailing = async () => {
    upstream.reply(member, unavailable, member, member, unavailable);
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await readMember());
    expect(answers.map((answer) => answer.errors?.[0]?.extensions?.code ?? answer.data?.accountMember?.name)).toEqual([
      'Ron Swanson',
      'UPSTREAM_UNAVAILABLE',
      'Ron Swanson',
      'Ron Swanson',
      'UPSTREAM_UNAVAILABLE',
    ]);
  };

  it('keeps calling Elastic Path when two calls in five fail and EP_API_BREAKER_FAILURE_PERCENT is 41', async () => {
    await start({ ...breakerEnv, EP_API_BREAKER_FAILURE_PERCENT: '41' });
    await twoInFiveFailing();
    upstream.reply(member);
    expect((await readMember()).data?.accountMember?.name).toBe('Ron Swanson');
    expect(upstream.received).toHaveLength(6);
  });

  it.each(['40', '25'])(
    'fails fast without calling Elastic Path once two calls in five fail and EP_API_BREAKER_FAILURE_PERCENT is %s',
    async (percent) => {
      await start({ ...breakerEnv, EP_API_BREAKER_FAILURE_PERCENT: percent });
      await twoInFiveFailing();
      const fast = await readMember();
      expect(fast.errors?.[0]).toMatchObject({
        extensions: { code: 'UPSTREAM_UNAVAILABLE' },
        message: expect.stringContaining('pausing calls'),
      });
      expect(upstream.received).toHaveLength(5);
    },
  );

  describe('its window, EP_API_BREAKER_WINDOW_MS', () => {
    // The breaker reads `performance.now()`: only that clock is the test's, frozen until it moves
    // it, while sockets and timers run for real. The window is 2 s, in buckets of 200 ms.
    const windowEnv = { ...breakerEnv, EP_API_BREAKER_WINDOW_MS: '2000' };

    /** Three calls fail (one short of EP_API_BREAKER_MIN_CALLS), `ms` pass, and a fourth fails. */
    const failuresApart = async (ms: number) => {
      vi.useFakeTimers({ toFake: ['performance'] });
      await start(windowEnv);
      upstream.reply(unavailable, unavailable, unavailable, unavailable);
      for (let i = 0; i < 3; i += 1) expect((await readMember()).errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      vi.advanceTimersByTime(ms);
      expect((await readMember()).errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(upstream.received).toHaveLength(4);
    };

    it('fails fast once a fourth call fails 1.6 s after three others, all inside the 2 s window', async () => {
      await failuresApart(1_600);
      expect((await readMember()).errors?.[0]?.message).toContain('pausing calls');
      expect(upstream.received).toHaveLength(4);
    });

    it('keeps calling Elastic Path when a fourth call fails 2.2 s after three others, which have left the 2 s window', async () => {
      await failuresApart(2_200);
      upstream.reply(member);
      expect((await readMember()).data?.accountMember?.name).toBe('Ron Swanson');
      expect(upstream.received).toHaveLength(5);
    });
  });

  it('answers /readiness 503 while open only when READINESS_FOLLOWS_BREAKER is set', async () => {
    gateway = await startGateway({
      upstreamUrl: 'http://127.0.0.1:1',
      env: { ...breakerEnv, READINESS_FOLLOWS_BREAKER: 'true' },
    });
    upstream = await startScriptedUpstream();
    expect((await fetch(`${gateway.url}/readiness`)).status).toBe(200);
    for (let i = 0; i < 4; i += 1) await readMember();
    const notReady = await fetch(`${gateway.url}/readiness`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, state: 'ready', upstream: 'open' });
  });
});

describe('the outbound limiter', () => {
  it('answers RATE_LIMITED at once when the queue is full', async () => {
    await start({ EP_API_CONNECTIONS: '1', EP_API_QUEUE_LIMIT: '1', EP_API_MAX_ATTEMPTS: '1' });
    const answer = held();
    upstream.reply({ status: 200, json: memberBody(), until: answer.promise }, { status: 200, json: memberBody() });
    // The slot is taken, then the one place in the queue.
    const holder = readMember();
    await upstream.whenReceived(1);
    const queued = readMember();
    await until(() => gateway.gateway.upstream.stats().queued === 1);
    const refused = await readMember();
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    answer.release();
    expect([(await holder).data?.accountMember?.name, (await queued).data?.accountMember?.name]).toEqual(['Ron Swanson', 'Ron Swanson']);
    expect(upstream.received).toHaveLength(2);
  });

  it('with EP_API_QUEUE_LIMIT=0 runs calls that find a free slot and refuses only those that would wait', async () => {
    await start({ EP_API_CONNECTIONS: '1', EP_API_QUEUE_LIMIT: '0', EP_API_MAX_ATTEMPTS: '1' });
    upstream.reply({ status: 200, json: memberBody() });
    expect((await readMember()).data?.accountMember?.name).toBe('Ron Swanson');
    const answer = held();
    upstream.reply({ status: 200, json: memberBody(), until: answer.promise });
    const first = readMember();
    await upstream.whenReceived(2);
    const second = await readMember();
    expect(second.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    answer.release();
    expect((await first).data?.accountMember?.name).toBe('Ron Swanson');
    expect(upstream.received).toHaveLength(2);
  });

  it('keeps at most EP_API_CONNECTIONS calls in flight across concurrent requests, and answers them all', async () => {
    await start({ EP_API_CONNECTIONS: '3' });
    upstream.always({ status: 200, json: memberBody(), delayMs: 80 });
    const results = await Promise.all(Array.from({ length: 10 }, () => readMember()));
    expect(results.map((result) => result.errors ?? result.data?.accountMember?.name)).toEqual(results.map(() => 'Ron Swanson'));
    expect(upstream.received).toHaveLength(10);
    expect(upstream.maxInFlight()).toBe(3);
  });

  it('starts no more than EP_API_MAX_RPS calls in any one second', async () => {
    await start({ EP_API_MAX_RPS: '5' });
    upstream.always({ status: 200, json: memberBody() });
    const sent = Date.now();
    await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        gateway.execute(AccountMemberDocument, { id: MEMBER_ID.replace(/.$/, String(index % 10)) }, { authorization: TOKEN }),
      ),
    );
    const times = upstream.received.map((request) => request.at).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    // Every call arrives after it started, and it started no sooner than the window allowed: the
    // 6th a second after the 1st, the 11th two. A busy machine only makes them later. (The window's
    // exact edges are test/unit/sliding-log.test.ts's, on a clock the test moves.)
    expect(times[5]! - sent).toBeGreaterThanOrEqual(1_000);
    expect(times[10]! - sent).toBeGreaterThanOrEqual(2_000);
  });
});

describe('untrusted answers', () => {
  it('refuses a body larger than EP_API_MAX_RESPONSE_BYTES with UPSTREAM_ERROR', async () => {
    await start({ EP_API_MAX_RESPONSE_BYTES: '2048' });
    upstream.reply({ status: 200, json: { data: { ...memberBody().data, name: 'x'.repeat(5000) } } });
    const result = await readMember();
    expect(result.errors?.[0]).toMatchObject({
      extensions: { code: 'UPSTREAM_ERROR' },
      message: 'Elastic Path sent a response larger than 2048 bytes.',
    });
  });

  it.each([
    ['spelt out', '"__proto__":{"polluted":"yes","name":"Mallory"},"constructor":{"prototype":{"polluted":"yes"}}'],
    [
      'disguised with escapes',
      '"\\u005f_proto__":{"polluted":"yes","name":"Mallory"},"constructo\\u0072":{"prototype":{"polluted":"yes"}}',
    ],
  ])('drops __proto__ and constructor keys (%s) instead of letting them pollute objects', async (_spelling, keys) => {
    await start();
    const hostile = `{"data":{"id":"${MEMBER_ID}","type":"account_member","name":"Ron","email":"r@s.com",${keys}}}`;
    upstream.reply(
      { status: 200, body: hostile, headers: { 'content-type': 'application/json' } },
      { status: 200, body: hostile, headers: { 'content-type': 'application/json' } },
    );
    const result = await readMember();
    expect(result.errors).toBeUndefined();
    expect(result.data?.accountMember?.name).toBe('Ron');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The value the client parsed: plain JSON.parse would keep both as own keys (and an object
    // spread or merge later would then apply the __proto__ one).
    const { body } = await gateway.gateway.upstream.send(
      { authorization: TOKEN },
      { method: 'GET', path: `/v2/account-members/${MEMBER_ID}`, route: '/v2/account-members/{accountMemberId}' },
    );
    const data = (body as { data: object }).data;
    expect(Object.keys(data).sort()).toEqual(['email', 'id', 'name', 'type']);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });
});

describe('EP_API_BASE_URL with a path prefix', () => {
  it('sends every call under the prefix', async () => {
    upstream = await startScriptedUpstream();
    gateway = await startGateway({ upstreamUrl: `${upstream.url}/ep/proxy/` });
    upstream.reply({ status: 200, json: memberBody() });
    const result = await readMember();
    expect(result.data?.accountMember?.name).toBe('Ron Swanson');
    expect(upstream.received.map((request) => request.rawUrl)).toEqual([`/ep/proxy/v2/account-members/${MEMBER_ID}`]);
  });
});
