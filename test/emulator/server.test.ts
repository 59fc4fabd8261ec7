/** The emulator as an HTTP server: odd input, limits, links from Host, recording, shutdown. */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEmulator } from '../../src/emulator/emulator.js';
import { DEMO } from '../../src/emulator/seed.js';
import { startEmulator, type EmulatorHarness } from './harness.js';
import { epError } from '../support/bodies.js';

const { acme } = DEMO.accounts;
const { andy } = DEMO.members;
const joinAndy = { data: { type: 'account_membership', account_member_id: andy.id } };

let ep: EmulatorHarness;
beforeEach(async () => {
  ep = await startEmulator();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await ep.close();
});

/** A GET with headers fetch will not send as given (Host). */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(ep.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, headers: { authorization: `Bearer ${ep.token}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes and reads until the server closes the connection. */
function rawExchange(bytes: string): Promise<string> {
  const { hostname, port } = new URL(ep.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('routing', () => {
  it.each(['/', '/v2/nothing', '/v2/accounts/a/b/c/d/e', '/v2//accounts'])('answers 404 in JSON to %s', async (path) => {
    const answer = await ep.call(path);

    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.body.errors[0]).toMatchObject({ status: '404', title: 'Not Found' });
  });

  it("accepts a trailing slash, as in Elastic Path's own curl example", async () => {
    const answer = await ep.call(`/v2/accounts/${acme.id}/account-memberships/`, { method: 'POST', json: joinAndy });

    expect(answer.status).toBe(201);
  });

  it('answers 405 with the allowed methods to a method a path does not serve', async () => {
    const answer = await ep.call(`/v2/accounts/${acme.id}`, { method: 'PATCH', json: {} });

    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET');
  });

  it.each([
    ['the path', `/v2/accounts/%E0%A4%A/account-memberships`],
    ['a query value', `/v2/accounts/${acme.id}/account-memberships?filter=eq(account_member_id,%zz)`],
    ['a query name', `/v2/accounts?%ff=1`],
  ])('answers 400 to malformed percent-encoding in %s', async (_where, path) => {
    const answer = await ep.call(path);

    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]).toMatchObject({
      status: '400',
      title: 'Bad Request',
      detail: expect.stringContaining('percent-encoding'),
    });
  });

  it('matches a percent-encoded id to the same resource', async () => {
    const answer = await ep.call(`/v2/accounts/${encodeURIComponent(acme.id).replace('-', '%2D')}`);

    expect(answer.status).toBe(200);
    expect(answer.body.data.id).toBe(acme.id);
  });

  it('does not let an encoded slash in an id reach another resource', async () => {
    const answer = await ep.call(`/v2/accounts/${acme.id}%2Faccount-memberships`);

    expect(answer.status).toBe(404);
    expect(answer.body.errors[0].detail).toBe('account not found');
  });
});

describe('limits', () => {
  it('answers 413 to a body over 1 MB and keeps serving', async () => {
    const answer = await ep.call(`/v2/accounts/${acme.id}/account-memberships`, {
      method: 'POST',
      body: 'x'.repeat(1024 * 1024 + 1),
    });

    expect(answer.status).toBe(413);
    expect(answer.body.errors[0]).toMatchObject({ status: '413', title: 'Payload Too Large' });
    expect((await ep.call('/v2/accounts')).status).toBe(200);
  });

  it('reads a body of exactly 1 MB', async () => {
    const answer = await ep.call(`/v2/accounts/${acme.id}/account-memberships`, {
      method: 'POST',
      body: 'x'.repeat(1024 * 1024),
    });

    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].detail).toBe('the request body is not valid JSON');
  });

  it('answers 413 to a streamed body that grows past 1 MB', async () => {
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 40) controller.close();
        else {
          sent++;
          controller.enqueue(chunk);
        }
      },
    });
    const response = await fetch(`${ep.baseUrl}/v2/accounts/${acme.id}/account-memberships`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ep.token}` },
      body,
      duplex: 'half',
    } as RequestInit);

    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: Array<{ status: string }> }).errors[0]?.status).toBe('413');
  });

  it('answers 414 to a request target over 8 KB', async () => {
    const answer = await ep.call(`/v2/account-members?filter=eq(name,${'x'.repeat(8200)})`);

    expect(answer.status).toBe(414);
    expect(answer.body.errors[0]).toMatchObject({ status: '414', title: 'URI Too Long' });
  });

  it('serves an in() filter of 200 ids, which stays under 8 KB', async () => {
    const manyIds = Array.from({ length: 199 }, (_, index) => `1e2d3c4b-0000-4000-8000-${String(index).padStart(12, '0')}`);
    const answer = await ep.call(`/v2/account-members?filter=in(id,${[...manyIds, andy.id].join(',')})`);

    expect(answer.status).toBe(200);
    expect(answer.body.data.map((member: { id: string }) => member.id)).toEqual([andy.id]);
  });

  it('answers a JSON 400 to a request it cannot parse and closes the connection', async () => {
    const received = await rawExchange('NOT HTTP AT ALL\r\n\r\n');

    expect(received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(received).toContain('content-type: application/json');
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toEqual(
      epError('400', 'Bad Request', 'the request could not be parsed'),
    );
  });

  it("answers 500 with Elastic Path's text when a handler fails, and keeps serving", async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(ep.emulator.store, 'getAccount').mockImplementationOnce(() => {
      throw new Error('disk on fire');
    });

    const failed = await ep.call(`/v2/accounts/${acme.id}`);

    expect(failed.status).toBe(500);
    expect(failed.body).toEqual(epError('500', 'Internal Server Error', 'there was a problem processing your request'));
    expect(logged).toHaveBeenCalledOnce();
    expect((await ep.call(`/v2/accounts/${acme.id}`)).status).toBe(200);
  });
});

describe('links', () => {
  it('builds links on the Host the client used', async () => {
    const answer = await rawGet(`/v2/accounts/${acme.id}/account-memberships?page[limit]=1`, { host: 'ep.example:8443' });
    const body = JSON.parse(answer.body) as { data: Array<{ links: { self: string } }>; links: { next: string } };

    expect(body.links.next).toBe(`http://ep.example:8443/v2/accounts/${acme.id}/account-memberships?page[offset]=1&page[limit]=1`);
    expect(body.data[0]?.links.self).toMatch(/^http:\/\/ep\.example:8443\/v2\/accounts\//);
  });

  it('falls back to its own address when the Host header is not a host', async () => {
    const answer = await rawGet(`/v2/accounts/${acme.id}`, { host: 'evil.example/x?y=' });
    const body = JSON.parse(answer.body) as { links: { self: string } };

    expect(body.links.self).toBe(`${ep.baseUrl}/v2/accounts/${acme.id}`);
  });
});

describe('recorded requests', () => {
  it('records every request in order with method, path, query, headers and body', async () => {
    await ep.call(`/v2/accounts/${acme.id}/account-memberships?include=account_member&page%5Blimit%5D=5`, {
      headers: { 'X-Request-Id': 'abc' },
    });
    await ep.call(`/v2/accounts/${acme.id}/account-memberships`, { method: 'POST', json: joinAndy });
    await ep.call('/v2/nothing', { token: null });

    const [list, create, unknown] = ep.emulator.requests;
    expect(ep.emulator.requests).toHaveLength(3);
    expect(list).toMatchObject({ method: 'GET', path: `/v2/accounts/${acme.id}/account-memberships`, body: '' });
    expect(list?.query.get('include')).toBe('account_member');
    expect(list?.query.get('page[limit]')).toBe('5');
    expect(list?.headers).toMatchObject({ authorization: `Bearer ${ep.token}`, 'x-request-id': 'abc' });
    expect(create).toMatchObject({ method: 'POST', body: JSON.stringify(joinAndy) });
    expect(create?.headers['content-type']).toBe('application/json');
    expect(unknown).toMatchObject({ method: 'GET', path: '/v2/nothing' });
    expect(unknown?.headers).not.toHaveProperty('authorization');
  });

  it('keeps the path as it was sent, still encoded', async () => {
    await ep.call('/v2/accounts/a%20b');

    expect(ep.emulator.requests[0]).toMatchObject({ path: '/v2/accounts/a%20b', url: '/v2/accounts/a%20b' });
  });

  it('records requests it refused, and forgets them all on clearRequests()', async () => {
    await ep.call('/v2/accounts', { token: null });
    await ep.call('/v2/accounts/%zz');
    expect(ep.emulator.requests.map((request) => request.path)).toEqual(['/v2/accounts', '/v2/accounts/%zz']);

    const kept = ep.emulator.requests;
    ep.emulator.clearRequests();

    expect(kept).toHaveLength(0);
    await ep.call('/v2/accounts');
    expect(ep.emulator.requests).toHaveLength(1);
  });

  it('records nothing with recordRequests: false', async () => {
    const quiet = await startEmulator({ recordRequests: false });
    try {
      await quiet.call('/v2/accounts');
      expect(quiet.emulator.requests).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});

describe('close()', () => {
  it('resolves while a client still holds an idle keep-alive connection', async () => {
    const other = await startEmulator();
    await other.call('/v2/accounts');
    await other.call('/v2/accounts');

    const closed = await Promise.race([
      other.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(resolve, 2000, 'still open')),
    ]);

    expect(closed).toBe('closed');
    expect(other.emulator.server.listening).toBe(false);
  });

  it('resolves when the emulator never listened', async () => {
    await expect(createEmulator().close()).resolves.toBeUndefined();
  });
});
