/** GraphQL over HTTP: the endpoint, the health check, and GraphiQL served from the gateway itself. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBER_ID, TOKEN } from '../support/ids.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({
    upstreamUrl: upstream.url,
    env: { GRAPHIQL: 'true' },
    graphiql: { defaultQuery: 'query Demo { __typename }', headers: { Authorization: 'Bearer demo' } },
  });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

describe('HTTP surface', () => {
  it('refuses a mutation sent over GET and calls nothing upstream', async () => {
    const query = `mutation { createAccountMembership(accountId: "${ACCOUNT_ID}", accountMemberId: "${MEMBER_ID}") { __typename } }`;
    const response = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent(query)}`, {
      headers: { accept: 'application/graphql-response+json', authorization: TOKEN, 'x-graphql-yoga-csrf': '1' },
    });
    expect(response.status).toBe(405);
    const body = (await response.json()) as { errors: Array<{ message: string }> };
    expect(body.errors[0]?.message).toMatch(/mutation/i);
    expect(upstream.received).toHaveLength(0);
  });

  it.each([
    [
      'text/html',
      'text/event-stream; charset=utf-8, multipart/mixed; charset=utf-8, application/graphql-response+json; charset=utf-8, application/json',
    ],
    // Yoga serves utf-8 only: a type asked for in another charset leaves nothing to offer.
    ['application/json; charset=latin1', ''],
  ])('refuses a mutation accepting only %s with 406 before it reaches Elastic Path', async (accept, offered) => {
    const query = `mutation { createAccountMembership(accountId: "${ACCOUNT_ID}", accountMemberId: "${MEMBER_ID}") { __typename } }`;
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { accept, 'content-type': 'application/json', authorization: TOKEN },
      body: JSON.stringify({ query }),
    });
    expect(response.status).toBe(406);
    expect(response.headers.get('accept')).toBe(offered);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(await response.text()).toBe('');
    expect(upstream.received).toHaveLength(0);
  });

  it.each(['x-graphql-yoga-csrf', 'apollo-require-preflight'])(
    'answers queries over GET that carry the CSRF-prevention header %s',
    async (header) => {
      const response = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { accept: 'application/graphql-response+json', [header]: '1' },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' }, extensions: { cost: { estimated: 0, actual: 0 } } });
    },
  );

  it.each([
    ['a GET without a CSRF-prevention header', undefined, undefined],
    ['a form POST', 'application/x-www-form-urlencoded', 'query=%7B__typename%7D'],
    ['a text/plain POST', 'text/plain', '{"query":"{ __typename }"}'],
  ])('refuses %s, which a page on another origin could send', async (_name, contentType, body) => {
    const response = await fetch(`${gateway.url}/graphql${body ? '' : `?query=${encodeURIComponent('{ __typename }')}`}`, {
      method: body ? 'POST' : 'GET',
      headers: { accept: 'application/graphql-response+json', ...(contentType ? { 'content-type': contentType } : {}) },
      body,
    });
    expect(response.status).toBe(403);
    const json = (await response.json()) as { errors: Array<{ message: string }> };
    expect(json.errors[0]?.message).toContain('CSRF');
  });

  it('answers 200 on /health', async () => {
    const response = await fetch(`${gateway.url}/health`);
    expect(response.status).toBe(200);
  });

  it('answers a malformed request with a GraphQL error, not a crash', async () => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: unknown[] };
    expect(body.errors.length).toBeGreaterThan(0);
  });

  it('serves GraphiQL with its own assets, pre-filled, pulling nothing from a CDN', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('renderYogaGraphiQL');
    expect(html).toContain('query Demo { __typename }');
    expect(html).toContain('Bearer demo');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/);
  });
});

describe('GRAPHIQL=false', () => {
  it('serves no GraphiQL page: a browser asking for /graphql is told 406, with no page', async () => {
    const plain = await startGateway({ upstreamUrl: upstream.url, env: { GRAPHIQL: 'false' } });
    try {
      const response = await fetch(`${plain.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(406);
      expect(response.headers.get('content-type')).toBeNull();
      expect(await response.text()).toBe('');
    } finally {
      await plain.close();
    }
  });
});
