/**
 * One deadline per HTTP request (a batch's operations share it): a signal that aborts when the
 * request's time budget (OPERATION_TIMEOUT_MS) runs out or when the caller goes away, whichever
 * comes first. Built from one controller and one
 * timer (Node 20's AbortSignal.any/timeout cost far more per request, and this is on every one).
 */
export interface Deadline {
  signal: AbortSignal;
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
export function requestDeadline(request: Request | (Request & CallerGoneHook), timeoutMs: number): Deadline {
  const callerGone: CallerGone =
    WHEN_CALLER_GOES in request ? (gone) => request[WHEN_CALLER_GOES](gone) : fromSignal(request.signal);
  return deadline(callerGone, timeoutMs);
}

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

function deadline(callerGone: CallerGone, timeoutMs: number): Deadline {
  const controller = new AbortController();
  expiries.set(controller.signal, performance.now() + timeoutMs);
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  let stopListening: (() => void) | void;
  const settle = () => {
    settled = true;
    clearTimeout(timer);
    stopListening?.();
  };
  stopListening = callerGone((reason) => {
    if (settled) return;
    settle();
    controller.abort(reason);
  });
  // A caller already gone settled it above: no timer.
  if (!settled) {
    timer = setTimeout(() => {
      settle();
      controller.abort(new DOMException('The operation ran out of time', 'TimeoutError'));
    }, timeoutMs);
    timer.unref();
  }
  return {
    signal: controller.signal,
    release() {
      if (!settled) settle();
    },
  };
}
