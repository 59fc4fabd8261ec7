/** One request's deadline on a fake clock: when it ends, how writes end before it, and what release() leaves behind. */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expiryOf, requestDeadline } from '../../src/http/deadline.js';

/** A request whose caller leaves when `caller.abort()` is called. */
const request = (caller = new AbortController()) => new Request('http://gateway.test/graphql', { signal: caller.signal });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  // A clock that does not start at 0, so that a sum of two instants cannot pass for a difference.
  vi.advanceTimersByTime(60_000);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('requestDeadline', () => {
  it('ends with a TimeoutError that says the operation ran out of time, when the time is up', () => {
    const deadline = requestDeadline(request(), 1_000, 0);
    vi.advanceTimersByTime(999);
    expect(deadline.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(deadline.signal.reason).toMatchObject({ name: 'TimeoutError', message: 'The operation ran out of time' });
    expect(deadline.callerLeft).toBe(false);
  });

  it('ends on its one timer when there is no reserve for writes', () => {
    const deadline = requestDeadline(request(), 1_000, 0);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersToNextTimer();
    expect(deadline.signal.aborted).toBe(true);
  });

  it('ends when the caller leaves, with the reason the caller left, and says the caller left', () => {
    const caller = new AbortController();
    const deadline = requestDeadline(request(caller), 1_000, 200);
    const writes = deadline.writeSignal;
    caller.abort(new Error('socket closed'));
    expect(deadline.signal.reason).toMatchObject({ message: 'socket closed' });
    expect(writes.reason).toBe(deadline.signal.reason);
    expect(deadline.callerLeft).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('answers at once, with no timer, for a caller already gone', () => {
    const caller = new AbortController();
    caller.abort(new Error('socket closed'));
    const deadline = requestDeadline(request(caller), 1_000, 200);
    expect(deadline.signal.reason).toMatchObject({ message: 'socket closed' });
    expect(deadline.callerLeft).toBe(true);
    expect(deadline.writeSignal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives a write started after the caller left a signal already aborted', () => {
    const caller = new AbortController();
    const deadline = requestDeadline(request(caller), 1_000, 200);
    caller.abort(new Error('socket closed'));
    expect(deadline.writeSignal.aborted).toBe(true);
    expect(deadline.writeSignal.reason).toBe(deadline.signal.reason);
  });

  it('lets writes share the deadline’s signal when there is no reserve', () => {
    const deadline = requestDeadline(request(), 1_000, 0);
    expect(deadline.writeSignal).toBe(deadline.signal);
  });
});

describe('the reserve for writes', () => {
  it('ends writes reserveMs before the deadline, and the deadline at its time', () => {
    const deadline = requestDeadline(request(), 1_000, 200);
    const writes = deadline.writeSignal;
    expect(expiryOf(writes)).toBe(expiryOf(deadline.signal)! - 200);
    vi.advanceTimersByTime(799);
    expect(writes.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(writes.reason).toMatchObject({ name: 'TimeoutError' });
    expect(deadline.signal.aborted).toBe(false);
    vi.advanceTimersByTime(200);
    expect(deadline.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('gives a write started inside the reserve a signal already ended', () => {
    const deadline = requestDeadline(request(), 1_000, 200);
    vi.advanceTimersByTime(900);
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.writeSignal.reason).toMatchObject({ name: 'TimeoutError', message: 'The operation ran out of time' });
  });

  it('times the lookup after a lost answer to what is left of the deadline', () => {
    const timeout = vi.spyOn(AbortSignal, 'timeout');
    const deadline = requestDeadline(request(), 1_000, 200);
    vi.advanceTimersByTime(850);
    deadline.lookupSignal();
    expect(timeout).toHaveBeenCalledWith(150);
  });
});

describe('release', () => {
  it('leaves no timer and no listener on the request once the response is sent', () => {
    const caller = new AbortController();
    const incoming = request(caller);
    const deadline = requestDeadline(incoming, 1_000, 200);
    expect(getEventListeners(incoming.signal, 'abort')).toHaveLength(1);
    deadline.release();
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(incoming.signal, 'abort')).toHaveLength(0);
    caller.abort(new Error('socket closed'));
    vi.advanceTimersByTime(1_000);
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.callerLeft).toBe(false);
  });
});
