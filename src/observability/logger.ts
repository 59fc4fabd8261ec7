/**
 * Structured JSON logs (pino). Credentials are never passed to a log call; the redaction below is
 * a second line of defence should a header object ever reach one.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import type { YogaLogger } from 'graphql-yoga';
import type { LogLevel } from '../config.js';

export type { Logger };

const SECRET_KEYS = ['authorization', 'ep-account-management-authentication-token', 'cookie', 'access_token', 'client_secret'];
/**
 * Where a header or credential object could land in a log line. Named paths, not wildcards:
 * pino's `*` and `*.*` paths walk every key of every line, which costs the access log line many
 * times the rest of its work on every operation.
 */
const SECRET_HOLDERS = ['', 'headers', 'req.headers', 'request.headers', 'res.headers', 'err', 'err.headers', 'body', 'credentials'];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ep-account-membership-gateway' },
      redact: {
        paths: SECRET_HOLDERS.flatMap((holder) => SECRET_KEYS.map((key) => `${holder}["${key}"]`)),
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * Yoga's logger interface over pino, so the server's own messages are JSON lines too. Its
 * per-request debug chatter is dropped (it cannot name the request), and so are errors the
 * gateway has already logged with their request id.
 */
export function yogaLogger(logger: Logger, alreadyLogged: WeakSet<object>): YogaLogger {
  const forward =
    (method: 'warn' | 'error') =>
    (...args: unknown[]): void => {
      const [first, ...rest] = args;
      if (typeof first === 'object' && first !== null && alreadyLogged.has(first)) return;
      if (first instanceof Error) logger[method]({ err: first }, rest.map(String).join(' ') || first.message);
      else logger[method](args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' '));
    };
  const ignore = (): void => {};
  return { debug: ignore, info: ignore, warn: forward('warn'), error: forward('error') };
}
