/** `npm run emulator` as a process: start-up output, a working token, shutdown, bad settings. */
import { afterEach, describe, expect, it } from 'vitest';
import { killLeftoverProcesses, startProcess } from '../support/child-process.js';

afterEach(killLeftoverProcesses);

const startMain = (env: Record<string, string>) => startProcess('src/emulator/main.ts', { env: { EMULATOR_PORT: '0', ...env } });

describe('npm run emulator', () => {
  it('prints its URL and a ready token that the emulator accepts, and stops on SIGTERM', async () => {
    const main = startMain({ EMULATOR_CLIENT_ID: 'ci-client', EMULATOR_CLIENT_SECRET: 'ci-secret' });
    await main.waitFor(/ready token[^\n]*\n/);
    const stdout = main.stdout();
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    const token = /ready token[^:]*: ([0-9a-f]{40})/.exec(stdout)?.[1];
    expect(url).toBeDefined();
    expect(token).toBeDefined();

    const accounts = await fetch(`${url}/v2/accounts`, { headers: { authorization: `Bearer ${token}` } });
    const login = await fetch(`${url}/oauth/access_token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'ci-client', client_secret: 'ci-secret' }),
    });
    expect(accounts.status).toBe(200);
    expect(login.status).toBe(200);

    expect(await main.stop('SIGTERM')).toBe(0);
  }, 20_000);

  it.each([
    ['EMULATOR_PORT', 'eighty'],
    ['EMULATOR_PORT', '70000'],
  ])(
    'refuses to start with %s=%s and names the variable',
    async (name, value) => {
      const main = startMain({ [name]: value });

      expect(await main.exited).toBe(1);
      expect(main.stderr()).toMatch(new RegExp(`^Elastic Path emulator not started\\. .*${name}`));
    },
    20_000,
  );
});
