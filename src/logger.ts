/**
 * Structured JSON logs (pino). Credentials are never passed to a log call; the redaction below is
 * a second line of defence should a header object ever reach one.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import type { YogaLogger } from 'graphql-yoga';
import type { LogLevel } from './config.js';

export type { Logger };

const SECRET_KEYS = ['authorization', 'ep-account-management-authentication-token', 'cookie', 'access_token', 'client_secret'];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ep-account-membership-gateway' },
      redact: {
        paths: SECRET_KEYS.flatMap((key) => [`["${key}"]`, `*["${key}"]`, `*.*["${key}"]`]),
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** Yoga's logger interface over pino, so the server's own messages are JSON lines too. */
export function yogaLogger(logger: Logger): YogaLogger {
  const forward =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]): void => {
      const [first, ...rest] = args;
      if (first instanceof Error) logger[method]({ err: first }, rest.map(String).join(' ') || first.message);
      else logger[method](args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' '));
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}
