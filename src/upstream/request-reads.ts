/**
 * The reads one request shares: an identical GET within the request answers from the first one,
 * and a write drops the reads it can change.
 */
import type { UpstreamResponse } from './transport.js';

/** Which shared reads a write can change, by their key (`path query`). */
export type ChangedBy = (key: string) => boolean;

export const EVERY_READ: ChangedBy = () => true;

/**
 * A membership write changes the membership lists of its account and its member, the account's
 * unassigned members and the membership itself; it never changes a member's record (one member or
 * the members list), so those reads may be shared across it.
 */
const MEMBER_RECORDS = /^\/v2\/account-members(\/[^/ ]+)? /;
export const changedByMembershipWrite: ChangedBy = (key) => !MEMBER_RECORDS.test(key);

/**
 * The GETs of one request by path and query: an identical read within the request shares the
 * first one's answer instead of calling again. Per request, so nothing is ever shared between
 * callers. A write drops the answers it can change when it starts and when it ends, and a read it
 * can change that overlaps it is neither shared nor kept; reads it cannot change (a member's record
 * beside a membership write) are kept.
 */
export class RequestReads {
  readonly #answers = new Map<string, Promise<UpstreamResponse>>();
  /** What each write in flight can change. */
  readonly #writes = new Set<{ changes: ChangedBy }>();

  get(key: string): Promise<UpstreamResponse> | undefined {
    return this.#changing(key) ? undefined : this.#answers.get(key);
  }

  set(key: string, answer: Promise<UpstreamResponse>): void {
    if (!this.#changing(key)) this.#answers.set(key, answer);
  }

  /** A write starts; it ends when `answer` settles. */
  write(answer: Promise<unknown>, changes: ChangedBy = EVERY_READ): void {
    const write = { changes };
    this.#drop(changes);
    this.#writes.add(write);
    const ended = () => {
      this.#writes.delete(write);
      this.#drop(changes);
    };
    answer.then(ended, ended);
  }

  #changing(key: string): boolean {
    for (const write of this.#writes) if (write.changes(key)) return true;
    return false;
  }

  #drop(changes: ChangedBy): void {
    for (const key of this.#answers.keys()) if (changes(key)) this.#answers.delete(key);
  }
}
