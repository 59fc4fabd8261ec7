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
export function requestDeadline(
  request: Request | (Request & CallerGoneHook),
  timeoutMs: number,
  reserveMs: number,
): Deadline {
  const callerGone: CallerGone =
    WHEN_CALLER_GOES in request ? (gone) => request[WHEN_CALLER_GOES](gone) : fromSignal(request.signal);
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
  const controller = new AbortController();
  const endsAt = performance.now() + timeoutMs;
  expiries.set(controller.signal, endsAt);
  // Every upstream call of the request (a batch's too) listens while it waits for a slot or runs,
  // and stops when it ends: MAX_UPSTREAM_CALLS bounds them, not node's leak warning at 10, which
  // a batch of lookups passes and prints on stderr, outside the JSON log.
  setMaxListeners(0, controller.signal);
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  let writeTimer: NodeJS.Timeout | undefined;
  let writes: AbortController | undefined;
  let stopListening: (() => void) | void;
  let callerLeft = false;
  const settle = () => {
    settled = true;
    clearTimeout(timer);
    clearTimeout(writeTimer);
    stopListening?.();
  };
  stopListening = callerGone((reason) => {
    if (settled) return;
    settle();
    callerLeft = true;
    controller.abort(reason);
  });
  // A caller already gone settled it above: no timer.
  if (!settled) {
    timer = setTimeout(() => {
      settle();
      controller.abort(outOfTime());
    }, timeoutMs);
    timer.unref();
  }
  return {
    signal: controller.signal,
    get writeSignal() {
      if (writes) return writes.signal;
      if (controller.signal.aborted || reserveMs <= 0) return controller.signal;
      const own = (writes = new AbortController());
      setMaxListeners(0, own.signal);
      expiries.set(own.signal, endsAt - reserveMs);
      controller.signal.addEventListener('abort', () => own.abort(controller.signal.reason), { once: true });
      writeTimer = setTimeout(() => own.abort(outOfTime()), Math.max(0, endsAt - reserveMs - performance.now()));
      writeTimer.unref();
      return own.signal;
    },
    lookupSignal: () => AbortSignal.timeout(Math.max(0, Math.round(endsAt - performance.now()))),
    get callerLeft() {
      return callerLeft;
    },
    release() {
      if (!settled) settle();
    },
  };
}
