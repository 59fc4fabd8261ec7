/**
 * `npm run dev` keeps working however long it runs: GraphiQL's page holds the session's token,
 * and that token outlives the lifetime of the emulator's ordinary tokens. Tested over HTTP, doing
 * what GraphiQL does (read the headers and the example the page opens with, POST them), with
 * EMULATOR_TOKEN_LIFETIME_S=1; `test/browser/graphiql.test.ts` presses Run in Chromium after it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { startProcess, type StartedProcess } from '../support/child-process.js';

const LIFETIME_S = 1;

let dev: StartedProcess;
let graphiqlUrl: string;
let emulatorUrl: string;

beforeAll(async () => {
  dev = startProcess('src/dev.ts', {
    env: { PORT: '0', EMULATOR_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', EMULATOR_TOKEN_LIFETIME_S: String(LIFETIME_S) },
  });
  [, graphiqlUrl = ''] = await dev.waitFor(/GraphiQL\s+(http:\/\/\S+)/, 30_000);
  [, emulatorUrl = ''] = await dev.waitFor(/Elastic Path emulator\s+(http:\/\/\S+)/);
}, 40_000);
afterAll(() => dev?.stop('SIGTERM'));

/** The options GraphiQL's page renders with: its headers (a JSON text) and its example operation. */
async function graphiqlPage(): Promise<{ headers: Record<string, string>; defaultQuery: string }> {
  const html = await (await fetch(graphiqlUrl, { headers: { accept: 'text/html' } })).text();
  const call = html.lastIndexOf('renderYogaGraphiQL(');
  const options = /querySelector\('#root'\),\s*(\{[\s\S]*\}),?\s*\);\s*<\/script>/.exec(html.slice(call))?.[1];
  const parsed = JSON.parse(options ?? 'null') as { headers: string; defaultQuery: string };
  return { headers: JSON.parse(parsed.headers) as Record<string, string>, defaultQuery: parsed.defaultQuery };
}

async function run(query: string, headers: Record<string, string>) {
  const response = await fetch(graphiqlUrl, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> };
}

describe('npm run dev with EMULATOR_TOKEN_LIFETIME_S=1', () => {
  it("runs GraphiQL's example mutation after the emulator's token lifetime has passed", async () => {
    // An ordinary token, from the emulator's own login, to show how long tokens last here.
    const login = await fetch(`${emulatorUrl}/oauth/access_token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }),
    });
    const ordinary = (await login.json()) as { access_token: string; expires_in: number };
    expect(ordinary.expires_in).toBe(LIFETIME_S);

    const page = await graphiqlPage();
    expect(page.headers).toEqual({ Authorization: expect.stringMatching(/^Bearer \S+$/) });
    expect(page.defaultQuery).toContain('mutation AddMember');

    await sleep(LIFETIME_S * 1000 + 1000);

    const expired = await run('{ accountMember(id: "0b000000-0000-4000-8000-000000000001") { name } }', {
      Authorization: `Bearer ${ordinary.access_token}`,
    });
    expect(expired.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const result = await run(page.defaultQuery, page.headers);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      createAccountMembership: {
        __typename: 'AccountMembership',
        id: expect.any(String),
        accountId: DEMO.accounts.acme.id,
        createdAt: expect.any(String),
        accountMember: { id: DEMO.members.andy.id, name: DEMO.members.andy.name, email: DEMO.members.andy.email },
      },
    });
    // A page opened now carries the same token: the session has one for as long as it runs.
    expect((await graphiqlPage()).headers).toEqual(page.headers);
  });

  it('says so where it prints the token', () => {
    expect(dev.stdout()).toMatch(/Authorization header\s+Bearer \S+\n\s+\(lasts as long as npm run dev; GraphiQL opens with it set\)/);
  });
});
