/**
 * A minimal Elastic Path stand-in for the benchmark: fixed answers for a membership create, a
 * page of 100 memberships with their members included, and a member read, from node:http with no routing or store, so that the figures measure the gateway
 * and not the upstream. Run as its own process; prints its URL.
 */
import { createServer } from 'node:http';
import { closeServer, listen } from '../src/http/listen.js';
import { listenOrExit, stopOnSignals } from '../src/process/lifecycle.js';

const MEMBERSHIP = JSON.stringify({
  data: {
    id: '0c000000-0000-4000-8000-000000000099',
    type: 'account_membership',
    relationships: { account_member: { data: { id: '0b000000-0000-4000-8000-000000000004', type: 'account_member' } } },
    meta: { timestamps: { created_at: '2026-11-30T12:00:00.000Z', updated_at: '2026-11-30T12:00:00.000Z' } },
  },
});
const MEMBER = JSON.stringify({
  data: {
    id: '0b000000-0000-4000-8000-000000000004',
    type: 'account_member',
    name: 'Andy Dwyer',
    email: 'andy@dwyer.com',
    meta: { timestamps: { created_at: '2026-11-30T12:00:00.000Z', updated_at: '2026-11-30T12:00:00.000Z' } },
  },
});

/** A page of 100 memberships of one account, each member included (`?include=account_member`). */
const hex = (n: number) => n.toString(16).padStart(12, '0');
const timestamps = { timestamps: { created_at: '2026-11-30T12:00:00.000Z', updated_at: '2026-11-30T12:00:00.000Z' } };
const PAGE_SIZE = 100;
const PAGE = JSON.stringify({
  data: Array.from({ length: PAGE_SIZE }, (_, n) => ({
    id: `0c000000-0000-4000-8000-${hex(1000 + n)}`,
    type: 'account_membership',
    meta: timestamps,
    relationships: { account_member: { data: { id: `0b000000-0000-4000-8000-${hex(1000 + n)}`, type: 'account_member' } } },
  })),
  meta: { page: { limit: PAGE_SIZE, offset: 0, current: 1, total: 1 }, results: { total: PAGE_SIZE } },
  links: { current: null, first: null, last: null, next: null, prev: null },
  included: {
    account_members: Array.from({ length: PAGE_SIZE }, (_, n) => ({
      id: `0b000000-0000-4000-8000-${hex(1000 + n)}`,
      type: 'account_member',
      name: `Member ${n}`,
      email: `member${n}@example.com`,
      meta: timestamps,
    })),
  },
});

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = req.method === 'POST' ? MEMBERSHIP : req.url?.includes('/account-memberships') ? PAGE : MEMBER;
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
stopOnSignals(() => closeServer(server), { stopping: () => {}, failed: (error) => console.error(error) });
const url = await listenOrExit('Fixed upstream', () => listen(server, 0, '127.0.0.1'), {});
process.stdout.write(`fixed upstream at ${url}\n`);
