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

/** The deadline of a request: its own hook when it has one, else its `signal`. */
export function requestDeadline(request: Request | (Request & CallerGoneHook), timeoutMs: number): Deadline {
  return WHEN_CALLER_GOES in request ? hookedDeadline(request, timeoutMs) : operationDeadline(request.signal, timeoutMs);
}

function hookedDeadline(request: CallerGoneHook, timeoutMs: number): Deadline {
  const controller = new AbortController();
  let settled = false;
  const timer = setTimeout(() => {
    settled = true;
    controller.abort(timedOut());
  }, timeoutMs);
  timer.unref();
  request[WHEN_CALLER_GOES]((reason) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    controller.abort(reason);
  });
  return {
    signal: controller.signal,
    release() {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
    },
  };
}

const timedOut = () => new DOMException('The operation ran out of time', 'TimeoutError');

export function operationDeadline(callerGone: AbortSignal, timeoutMs: number): Deadline {
  const controller = new AbortController();
  if (callerGone.aborted) {
    controller.abort(callerGone.reason);
    return { signal: controller.signal, release: () => {} };
  }
  const onGone = () => {
    clearTimeout(timer);
    controller.abort(callerGone.reason);
  };
  const timer = setTimeout(() => {
    callerGone.removeEventListener('abort', onGone);
    controller.abort(timedOut());
  }, timeoutMs);
  timer.unref();
  callerGone.addEventListener('abort', onGone, { once: true });
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      callerGone.removeEventListener('abort', onGone);
    },
  };
}
