/**
 * The quick start as a person meets it: `npm run dev`, open the printed GraphiQL URL in a browser
 * with no internet access, press Run, and see the membership with the member's name.
 * Needs Debian's Chromium (`apt-get install chromium`); run with `npm run test:browser`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, type StartedProcess } from '../support/child-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let dev: StartedProcess;
let browser: Browser;

beforeAll(async () => {
  dev = startProcess('src/dev.ts', {
    env: { PORT: '0', EMULATOR_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Playwright adds --headless and a fresh profile; the rest keeps Chromium off the closed network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await dev?.stop('SIGTERM');
});

describe('GraphiQL under npm run dev', () => {
  it('opens pre-filled and shows the new membership with the member\'s name on Run', async () => {
    const [, url = ''] = await dev.waitFor(/GraphiQL\s+(http:\/\/\S+)/, 30_000);
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(new URL(url).origin) && !/^(blob|data):/.test(request.url())) outside.push(request.url());
    });
    await page.goto(url);
    const run = page.locator('.graphiql-execute-button');
    await run.waitFor({ timeout: 30_000 });
    await run.click();
    // The editor renders spaces as no-break spaces.
    const resultText = async () => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
    await expect.poll(resultText, { timeout: 20_000 }).toContain('Andy Dwyer');
    const text = await resultText();
    expect(text).toContain('"__typename": "AccountMembership"');
    expect(text).toContain('andy@dwyer.com');
    await page.screenshot({ path: join(tmpdir(), 'graphiql-dev.png') });
    expect(outside, 'GraphiQL must not fetch anything from another origin').toEqual([]);
  });
});
