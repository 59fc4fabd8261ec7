/**
 * The quick start as a person meets it: `npm run dev`, open the printed GraphiQL URL in a browser
 * with no internet access, press Run, and see the membership with the member's name; pressed
 * after the emulator's tokens have expired (EMULATOR_TOKEN_LIFETIME_S), as in a long dev session;
 * and a subscription that shows a membership added straight against the emulator.
 * Needs Debian's Chromium (`apt-get install chromium`); run with `npm run test:browser`.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, type StartedProcess } from '../support/child-process.js';

/** CHROMIUM_PATH (CI sets it to the Chromium it found), or the first Chromium on PATH. */
const CHROMIUM =
  process.env.CHROMIUM_PATH ||
  (process.env.PATH ?? '')
    .split(delimiter)
    .flatMap((dir) => ['chromium', 'chromium-browser'].map((name) => join(dir, name)))
    .find((candidate) => existsSync(candidate));
const TOKEN_LIFETIME_S = 2;

let dev: StartedProcess;
let browser: Browser;

beforeAll(async () => {
  dev = startProcess('src/dev.ts', {
    env: { PORT: '0', EMULATOR_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', EMULATOR_TOKEN_LIFETIME_S: String(TOKEN_LIFETIME_S) },
  });
  if (!CHROMIUM) throw new Error('No Chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH.');
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
  it("opens pre-filled and shows the new membership with the member's name on Run", async () => {
    const [, url = ''] = await dev.waitFor(/GraphiQL\s+(http:\/\/\S+)/, 30_000);
    const printedAt = Date.now();
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(new URL(url).origin) && !/^(blob|data):/.test(request.url())) outside.push(request.url());
    });
    await page.goto(url);
    const run = page.locator('.graphiql-execute-button');
    await run.waitFor({ timeout: 30_000 });
    // By now an ordinary token issued with the session's would have expired.
    await sleep(Math.max(0, printedAt + (TOKEN_LIFETIME_S + 1) * 1000 - Date.now()));
    await run.click();
    // The editor renders spaces as no-break spaces.
    // biome-ignore lint/performance/useDomNodeTextContent: the text as the editor shows it, which it spreads over nodes
    const resultText = async () => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
    await expect.poll(resultText, { timeout: 20_000 }).toContain('Andy Dwyer');
    const text = await resultText();
    expect(text).toContain('"__typename": "AccountMembership"');
    expect(text).toContain('andy@dwyer.com');
    await page.screenshot({ path: join(tmpdir(), 'graphiql-dev.png') });
    expect(outside, 'GraphiQL must not fetch anything from another origin').toEqual([]);
  });

  it('shows a membership added straight against the emulator in a running subscription', async () => {
    const [, url = ''] = await dev.waitFor(/GraphiQL\s+(http:\/\/\S+)/, 30_000);
    const [, emulatorUrl = ''] = await dev.waitFor(/Elastic Path emulator\s+(http:\/\/\S+)/, 30_000);
    const [, authorization = ''] = await dev.waitFor(/Authorization header\s+(Bearer \S+)/, 30_000);
    const globex = '0a000000-0000-4000-8000-000000000003';
    const andy = '0b000000-0000-4000-8000-000000000004';
    const query = `subscription Live {\n  accountMembershipEvents(accountId: "${globex}") {\n    type source membership { accountMember { name } }\n  }\n}\n`;
    const page = await browser.newPage();
    await page.goto(`${url}?query=${encodeURIComponent(query)}`);
    const run = page.locator('.graphiql-execute-button');
    await run.waitFor({ timeout: 30_000 });
    await run.click();
    // The stream is open once the gateway counts it.
    const gateway = new URL(url).origin;
    const open = async () => /graphql_subscriptions_open (\d+)/.exec(await (await fetch(`${gateway}/metrics`)).text())?.[1];
    await expect.poll(open, { timeout: 20_000 }).toBe('1');
    const created = await fetch(`${emulatorUrl}/v2/accounts/${globex}/account-memberships`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { type: 'account_membership', account_member_id: andy } }),
    });
    expect(created.status).toBe(201);
    // biome-ignore lint/performance/useDomNodeTextContent: the text as the editor shows it, which it spreads over nodes
    const resultText = async () => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
    await expect.poll(resultText, { timeout: 20_000 }).toContain('Andy Dwyer');
    const text = await resultText();
    expect(text).toContain('"source": "ELASTIC_PATH"');
    expect(text).toContain('"type": "CREATED"');
    await page.screenshot({ path: join(tmpdir(), 'graphiql-subscription.png') });
  });
});
