/** The outbound limiter's slots and its queue of waiting calls. */
import { describe, expect, it } from 'vitest';
import { Limiter } from '../../src/upstream/limiter.js';

describe('Limiter', () => {
  it('grants free slots at once, counts them, and is full when all are taken', () => {
    const limiter = new Limiter(2);
    expect(limiter.full).toBe(false);
    expect(limiter.acquire()).toBe(true);
    expect(limiter.full).toBe(false);
    expect(limiter.acquire()).toBe(true);
    expect(limiter.full).toBe(true);
    expect(limiter).toMatchObject({ inFlight: 2, queued: 0 });
    limiter.release();
    expect(limiter).toMatchObject({ inFlight: 1, queued: 0, full: false });
  });

  it('hands a released slot to the calls waiting, in the order they came', async () => {
    const limiter = new Limiter(1);
    limiter.acquire();
    const order: string[] = [];
    const first = (limiter.acquire() as Promise<boolean>).then((granted) => order.push(`first ${granted}`));
    const second = (limiter.acquire() as Promise<boolean>).then((granted) => order.push(`second ${granted}`));
    expect(limiter).toMatchObject({ inFlight: 1, queued: 2 });
    limiter.release();
    await first;
    expect(order).toEqual(['first true']);
    expect(limiter).toMatchObject({ inFlight: 1, queued: 1 });
    limiter.release();
    await second;
    expect(order).toEqual(['first true', 'second true']);
    limiter.release();
    expect(limiter).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('takes a waiting call whose signal ends out of the queue, so the next release frees the slot', async () => {
    const limiter = new Limiter(1);
    limiter.acquire();
    const caller = new AbortController();
    const left = limiter.acquire(caller.signal);
    const stays = limiter.acquire();
    caller.abort();
    expect(await left).toBe(false);
    expect(limiter.queued).toBe(1);
    limiter.release();
    expect(await stays).toBe(true);
    limiter.release();
    expect(limiter).toMatchObject({ inFlight: 0, queued: 0 });
    expect(limiter.acquire()).toBe(true);
  });

  it('refuses at once a call whose signal has already ended, when it would have to wait', () => {
    const limiter = new Limiter(1);
    expect(limiter.acquire(AbortSignal.abort())).toBe(true);
    expect(limiter.acquire(AbortSignal.abort())).toBe(false);
    expect(limiter.queued).toBe(0);
  });

  it("stops listening to a granted call's signal: ending it later frees nothing twice", async () => {
    const limiter = new Limiter(1);
    limiter.acquire();
    const caller = new AbortController();
    const granted = limiter.acquire(caller.signal);
    limiter.release();
    expect(await granted).toBe(true);
    caller.abort();
    expect(limiter).toMatchObject({ inFlight: 1, queued: 0 });
  });

  it('turns every waiting call away on clear', async () => {
    const limiter = new Limiter(1);
    limiter.acquire();
    const waiting = [limiter.acquire(), limiter.acquire()];
    limiter.clear();
    expect(await Promise.all(waiting)).toEqual([false, false]);
    expect(limiter.queued).toBe(0);
  });
});
