/**
 * A minimal Elastic Path stand-in for the benchmark: fixed answers for a membership create and a
 * member read, from node:http with no routing or store, so that the figures measure the gateway
 * and not the upstream. Run as its own process; prints its URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = req.method === 'POST' ? MEMBERSHIP : MEMBER;
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`fixed upstream at http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
