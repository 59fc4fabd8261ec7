/** `npm run emulator` as a process: start-up output, a working token, shutdown, bad settings. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/main.ts'], {
    env: { ...process.env, EMULATOR_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const ready = () =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (/ready token[^\n]*\n/.test(stdout)) resolve(stdout);
      };
      child.stdout?.on('data', check);
      check();
      void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

describe('npm run emulator', () => {
  it('prints its URL and a ready token that the emulator accepts, and stops on SIGTERM', async () => {
    const main = startMain({ EMULATOR_CLIENT_ID: 'ci-client', EMULATOR_CLIENT_SECRET: 'ci-secret' });
    const stdout = await main.ready();
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

    main.child.kill('SIGTERM');
    expect(await main.exited).toBe(0);
  }, 20_000);

  it.each([
    ['EMULATOR_PORT', 'eighty'],
    ['EMULATOR_PORT', '70000'],
  ])('refuses to start with %s=%s and names the variable', async (name, value) => {
    const main = startMain({ [name]: value });

    expect(await main.exited).toBe(1);
    expect(main.output().stderr).toContain(name);
  }, 20_000);
});
