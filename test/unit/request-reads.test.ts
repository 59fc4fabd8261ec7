/**
 * The request's shared reads across a write: what a membership write can change is neither shared
 * nor kept while it is out, and dropped when it ends; a member's record, which it cannot change,
 * is kept.
 */
import { describe, expect, it } from 'vitest';
import { RequestReads, changedByMembershipWrite as membershipWrite } from '../../src/upstream/account-management.js';
import type { UpstreamResponse } from '../../src/upstream/transport.js';

const MEMBER = '/v2/account-members/0b000000-0000-4000-8000-000000000001 {}';
const MEMBERS = '/v2/account-members {"page[limit]":"100","page[offset]":"0","filter":"in(id,0b000000-0000-4000-8000-000000000001)"}';
const MEMBER_MEMBERSHIPS = '/v2/account-members/0b000000-0000-4000-8000-000000000001/account-memberships {}';
const LIST = '/v2/accounts/0a000000-0000-4000-8000-000000000001/account-memberships {}';
const ACCOUNT = '/v2/accounts/0a000000-0000-4000-8000-000000000001 {}';
const answer = () => Promise.resolve({ status: 200, body: {} } as unknown as UpstreamResponse);

function pending(): { promise: Promise<void>; end: () => void } {
  let end = () => {};
  const promise = new Promise<void>((resolve) => (end = resolve));
  return { promise, end };
}

describe('RequestReads', () => {
  it("keeps a member's record across a membership write, and nothing the write can change", async () => {
    const reads = new RequestReads();
    const before = answer();
    reads.set(LIST, before);
    reads.set(MEMBER, before);
    const write = pending();
    reads.write(write.promise, membershipWrite);

    // Read while the write is out: the member's record and the members list are shared and kept.
    const member = answer();
    const members = answer();
    reads.set(MEMBER, member);
    reads.set(MEMBERS, members);
    reads.set(LIST, answer());
    reads.set(MEMBER_MEMBERSHIPS, answer());
    reads.set(ACCOUNT, answer());
    expect(reads.get(MEMBER)).toBe(member);
    expect(reads.get(MEMBERS)).toBe(members);
    expect(reads.get(LIST)).toBeUndefined();
    expect(reads.get(MEMBER_MEMBERSHIPS)).toBeUndefined();
    expect(reads.get(ACCOUNT)).toBeUndefined();

    write.end();
    await write.promise;
    await Promise.resolve();
    // After it, what overlapped it is gone; the member's record stays.
    expect(reads.get(LIST)).toBeUndefined();
    expect(reads.get(MEMBER)).toBe(member);
  });

  it('shares nothing across a write that names nothing it leaves alone', async () => {
    const reads = new RequestReads();
    reads.set(MEMBER, answer());
    const write = pending();
    reads.write(write.promise);
    expect(reads.get(MEMBER)).toBeUndefined();
    reads.set(MEMBER, answer());
    expect(reads.get(MEMBER)).toBeUndefined();
    write.end();
    await write.promise;
    await Promise.resolve();
    const after = answer();
    reads.set(MEMBER, after);
    expect(reads.get(MEMBER)).toBe(after);
  });
});
