/** The logger's second line of defence: credential-shaped keys are redacted wherever a header object lands. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

const SECRETS = {
  authorization: 'Bearer secret-authorization-1',
  'ep-account-management-authentication-token': 'secret-account-token-2',
  cookie: 'session=secret-cookie-3',
  access_token: 'secret-access-token-4',
  client_secret: 'secret-client-secret-5',
};

describe('createLogger', () => {
  it.each([
    ['at the top level', SECRETS, (line: any) => line],
    ['one level down (a headers object)', { headers: SECRETS }, (line: any) => line.headers],
    ["two levels down (a request's headers)", { req: { headers: SECRETS } }, (line: any) => line.req.headers],
  ])('redacts credential-shaped keys %s', (_where, fields, pick) => {
    const { logger, lines } = capture();
    logger.info({ ...fields, kept: 'visible' }, 'a line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/secret-/);
    const line = JSON.parse(lines[0]!);
    const where = pick(line);
    expect(Object.fromEntries(Object.keys(SECRETS).map((key) => [key, where[key]]))).toEqual(
      Object.fromEntries(Object.keys(SECRETS).map((key) => [key, '[redacted]'])),
    );
    expect(line.kept).toBe('visible');
  });
});
