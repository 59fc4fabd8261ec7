/**
 * One deadline per HTTP request (a batch's operations share it): a signal that aborts when the
 * request's time budget (OPERATION_TIMEOUT_MS) runs out or when the caller goes away, whichever
 * comes first. Built from one controller and one
 * timer (Node 20's AbortSignal.any/timeout cost far more per request, and this is on every one).
 */
import { setMaxListeners } from 'node:events';

export interface Deadline {
  signal: AbortSignal;
  /**
   * For writes: ends `reserveMs` before `signal` does (and with it when the caller goes), so that a
   * write cut off by the deadline leaves time to look up what it did. Made on first use.
   */
  readonly writeSignal: AbortSignal;
  /**
   * For the lookup after a write whose answer was lost: ends when the time budget does, whether
   * or not the caller is still there (a caller who left gets no answer, but the metric and the
   * log still learn what the write did).
   */
  lookupSignal(): AbortSignal;
  /** True once the caller went away (or its connection was cut) before the response was sent. */
  readonly callerLeft: boolean;
  /** Call when the response is sent: drops the timer and listener so nothing outlives the request. */
  release(): void;
}

/**
 * A request that can say itself when its caller goes away, without an AbortSignal of its own (the
 * fast path's: node's response says it with one event listener). Other requests' `signal` says it.
 */
export const WHEN_CALLER_GOES = Symbol('whenCallerGoes');

export interface CallerGoneHook {
  /** Calls `gone` once, with the reason, if the caller goes away before the response is sent. */
  [WHEN_CALLER_GOES](gone: (reason?: unknown) => void): void;
}

/** Tells `gone` when the caller leaves; may answer how to stop listening. */
type CallerGone = (gone: (reason?: unknown) => void) => (() => void) | void;

/** The deadline of a request: its own hook when it has one, else its `signal`. */
export function requestDeadline(request: Request | (Request & CallerGoneHook), timeoutMs: number, reserveMs: number): Deadline {
  const callerGone: CallerGone = WHEN_CALLER_GOES in request ? (gone) => request[WHEN_CALLER_GOES](gone) : fromSignal(request.signal);
  return deadline(callerGone, timeoutMs, reserveMs);
}

const outOfTime = () => new DOMException('The operation ran out of time', 'TimeoutError');

function fromSignal(signal: AbortSignal): CallerGone {
  return (gone) => {
    if (signal.aborted) return gone(signal.reason);
    const onAbort = () => gone(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  };
}

/** When each deadline's signal times out, on `performance.now()`'s clock. */
const expiries = new WeakMap<AbortSignal, number>();

/**
 * When `signal` (a deadline's) will time out, on `performance.now()`'s clock; undefined for any
 * other signal. Lets a wait that could not end in time be refused at once.
 */
export function expiryOf(signal: AbortSignal | undefined): number | undefined {
  return signal === undefined ? undefined : expiries.get(signal);
}

function deadline(callerGone: CallerGone, timeoutMs: number, reserveMs: number): Deadline {
  return new RequestDeadline(callerGone, timeoutMs, reserveMs);
}

/**
 * A class, not an object literal: a literal with a getter defines its accessor on every request,
 * which showed in the create's CPU profile. One timer: with a reserve for writes, it first ends
 * the writes' signal, then waits out the reserve; the deadline's own aborts end the writes' signal
 * too, without a listener on its signal.
 */
class RequestDeadline implements Deadline {
  readonly #controller = new AbortController();
  readonly #endsAt: number;
  readonly #writeReserveMs: number;
  #settled = false;
  #callerLeft = false;
  /** Past the writes' end (`reserveMs` before the deadline): a write signal made now is already over. */
  #writesEnded = false;
  #timer: NodeJS.Timeout | undefined;
  #writes: AbortController | undefined;
  #stopListening: (() => void) | void = undefined;

  constructor(callerGone: CallerGone, timeoutMs: number, reserveMs: number) {
    const { signal } = this.#controller;
    this.#endsAt = performance.now() + timeoutMs;
    this.#writeReserveMs = Math.min(Math.max(reserveMs, 0), timeoutMs);
    expiries.set(signal, this.#endsAt);
    // Every upstream call of the request (a batch's too) listens while it waits for a slot or runs,
    // and stops when it ends: MAX_UPSTREAM_CALLS bounds them, not node's leak warning at 10, which
    // a batch of lookups passes and prints on stderr, outside the JSON log.
    setMaxListeners(0, signal);
    this.#stopListening = callerGone((reason) => {
      if (this.#settled) return;
      this.#settle();
      this.#callerLeft = true;
      this.#end(reason);
    });
    // A caller already gone settled it above: no timer.
    if (this.#settled) return;
    const outOfTimeNow = () => {
      this.#settle();
      this.#end(outOfTime());
    };
    this.#timer =
      this.#writeReserveMs > 0
        ? setTimeout(() => {
            this.#writesEnded = true;
            this.#writes?.abort(outOfTime());
            this.#timer = setTimeout(outOfTimeNow, this.#writeReserveMs);
            this.#timer.unref();
          }, timeoutMs - this.#writeReserveMs)
        : setTimeout(outOfTimeNow, timeoutMs);
    this.#timer.unref();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get writeSignal(): AbortSignal {
    if (this.#writes) return this.#writes.signal;
    const { signal } = this.#controller;
    if (signal.aborted || this.#writeReserveMs <= 0) return signal;
    const own = (this.#writes = new AbortController());
    setMaxListeners(0, own.signal);
    expiries.set(own.signal, this.#endsAt - this.#writeReserveMs);
    if (this.#writesEnded) own.abort(outOfTime());
    return own.signal;
  }

  lookupSignal(): AbortSignal {
    return AbortSignal.timeout(Math.max(0, Math.round(this.#endsAt - performance.now())));
  }

  get callerLeft(): boolean {
    return this.#callerLeft;
  }

  release(): void {
    if (!this.#settled) this.#settle();
  }

  #settle(): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#stopListening?.();
  }

  #end(reason: unknown): void {
    this.#controller.abort(reason);
    this.#writes?.abort(this.#controller.signal.reason);
  }
}
