/**
 * One deadline per GraphQL operation: a signal that aborts when the operation's time budget runs
 * out or when the caller goes away, whichever comes first. Built from one controller and one
 * timer (Node 20's AbortSignal.any/timeout cost far more per request, and this is on every one).
 */
export function operationDeadline(callerGone: AbortSignal, timeoutMs: number): AbortSignal {
  const controller = new AbortController();
  if (callerGone.aborted) {
    controller.abort(callerGone.reason);
    return controller.signal;
  }
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation ran out of time', 'TimeoutError')),
    timeoutMs,
  );
  // The process must not stay up for a timer whose request is long gone.
  timer.unref();
  callerGone.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      controller.abort(callerGone.reason);
    },
    { once: true },
  );
  return controller.signal;
}
