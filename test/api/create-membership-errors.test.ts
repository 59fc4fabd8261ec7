/**
 * createAccountMembership against a scripted Elastic Path: every row of the error table, what the
 * caller sees and what Elastic Path received.
 */
import { describe, expect, it } from 'vitest';
import { CreateAccountMembershipDocument } from '../gql/graphql.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBER_ID, MEMBERSHIP_ID, TOKEN } from '../support/ids.js';
import { epError, memberBody, membershipBody, pageBody } from '../support/bodies.js';
import { on, type Answer, type ScriptedUpstream } from '../support/scripted-upstream.js';
import { useScriptedGateway } from '../support/scripted-gateway.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway;

useScriptedGateway(
  {
    // The table below answers many 5xx on purpose: a breaker that opened part-way would change
    // later rows' answers, so it cannot open here (the breaker has its own tests).
    env: { EP_API_TIMEOUT_MS: '1000', EP_API_MAX_ATTEMPTS: '1', EP_API_BREAKER_MIN_CALLS: '100000' },
  },
  (started) => ({ upstream, gateway } = started),
);

/** The create's own reply, and the member's record read beside it (the document selects its name). */
const write = (answer: Answer) => on(`POST /v2/accounts/${ACCOUNT_ID}/account-memberships`, answer);
const memberRead = () => on(`GET /v2/account-members/${MEMBER_ID}`, { status: 200, json: memberBody() });

const create = (headers: Record<string, string> = { authorization: TOKEN }) =>
  gateway.execute(CreateAccountMembershipDocument, { accountId: ACCOUNT_ID, accountMemberId: MEMBER_ID }, headers);

describe('createAccountMembership', () => {
  it('posts the membership to Elastic Path and returns it with the member looked up by id', async () => {
    upstream.reply(write({ status: 201, json: membershipBody() }), memberRead());

    const result = await create();

    expect(result.errors).toBeUndefined();
    expect(result.data?.createAccountMembership).toEqual({
      __typename: 'AccountMembership',
      id: MEMBERSHIP_ID,
      accountId: ACCOUNT_ID,
      createdAt: '2022-10-10T14:34:00.881Z',
      updatedAt: '2021-03-10T07:35:38.883Z',
      accountMember: { id: MEMBER_ID, name: 'Ron Swanson', email: 'ron@swanson.com' },
    });
    const post = upstream.received.find((request) => request.method === 'POST');
    const get = upstream.received.find((request) => request.method === 'GET');
    expect(post?.method).toBe('POST');
    expect(post?.rawUrl).toBe(`/v2/accounts/${ACCOUNT_ID}/account-memberships`);
    expect(post?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post?.body ?? '')).toEqual({
      data: { type: 'account_membership', account_member_id: MEMBER_ID },
    });
    expect(get?.method).toBe('GET');
    expect(get?.rawUrl).toBe(`/v2/account-members/${MEMBER_ID}`);
    expect(upstream.received).toHaveLength(2);
  });

  const typedFailures: Array<[string, number, unknown, Record<string, unknown>]> = [
    [
      'a 400 about the limit becomes MembershipLimitReachedError',
      400,
      epError('400', 'Bad Request', 'the number of account memberships with a particular account exceeds the limit'),
      { __typename: 'MembershipLimitReachedError', limit: 1000 },
    ],
    [
      "any other 400 becomes ValidationError with Elastic Path's detail",
      400,
      epError('400', 'Bad Request', "Validation failed: field 'AccountMemberId' on the 'uuid' tag."),
      {
        __typename: 'ValidationError',
        field: null,
        message: expect.stringContaining("Validation failed: field 'AccountMemberId' on the 'uuid' tag."),
      },
    ],
    [
      "a 422 becomes ValidationError with Elastic Path's detail",
      422,
      epError('422', 'Unprocessable Entity', "Validation failed: field 'Type' on the 'account-membership-type' tag."),
      { __typename: 'ValidationError', message: expect.stringContaining("field 'Type'") },
    ],
    [
      'a 404 "account not found" becomes NotFoundError for the Account',
      404,
      epError('404', 'Not Found', 'account not found'),
      { __typename: 'NotFoundError', resource: 'Account', message: `Account ${ACCOUNT_ID} was not found.` },
    ],
    [
      'any other 404 on create becomes NotFoundError for the AccountMember',
      404,
      epError('404', 'Not Found', 'not found'),
      { __typename: 'NotFoundError', resource: 'AccountMember', message: `Account member ${MEMBER_ID} was not found.` },
    ],
    [
      'a 409 becomes MembershipAlreadyExistsError',
      409,
      epError('409', 'Conflict', 'account membership with the given account id and account member id already exists'),
      { __typename: 'MembershipAlreadyExistsError', message: expect.stringContaining('already a member') },
    ],
    [
      'the HTTP status decides even when the body says another status as a number',
      409,
      epError(400, 'Conflict'),
      { __typename: 'MembershipAlreadyExistsError' },
    ],
  ];

  it.each(typedFailures)('%s', async (_name, status, json, expected) => {
    upstream.reply(write({ status, json }), memberRead());
    const result = await create();
    expect(result.errors).toBeUndefined();
    expect(result.data?.createAccountMembership).toMatchObject(expected);
    // The write, and the member's record read beside it (wasted).
    expect(upstream.received.map((request) => request.method).sort()).toEqual(['GET', 'POST']);
  });

  const codedFailures: Array<[string, number, unknown, string, Record<string, unknown> | undefined]> = [
    [
      '401 is UNAUTHENTICATED',
      401,
      epError(401, 'Unable to validate access token'),
      'UNAUTHENTICATED',
      {
        status: 401,
        title: 'Unable to validate access token',
      },
    ],
    [
      '403 is FORBIDDEN',
      403,
      epError('403', 'Forbidden', 'forbidden'),
      'FORBIDDEN',
      {
        status: 403,
        title: 'Forbidden',
        detail: 'forbidden',
      },
    ],
    [
      '429 is RATE_LIMITED',
      429,
      epError('429', 'Too Many Requests'),
      'RATE_LIMITED',
      {
        status: 429,
        title: 'Too Many Requests',
      },
    ],
    ['502 is UPSTREAM_UNAVAILABLE', 502, undefined, 'UPSTREAM_UNAVAILABLE', { status: 502 }],
    [
      '503 is UPSTREAM_UNAVAILABLE',
      503,
      epError('503', 'Service Unavailable'),
      'UPSTREAM_UNAVAILABLE',
      {
        status: 503,
        title: 'Service Unavailable',
      },
    ],
    ['504 is UPSTREAM_UNAVAILABLE', 504, undefined, 'UPSTREAM_UNAVAILABLE', { status: 504 }],
    [
      "500 is UPSTREAM_ERROR with Elastic Path's words kept",
      500,
      epError('500', 'Internal Server Error', 'there was a problem processing your request'),
      'UPSTREAM_ERROR',
      {
        status: 500,
        title: 'Internal Server Error',
        detail: 'there was a problem processing your request',
      },
    ],
    [
      'an unexpected status such as 418 is UPSTREAM_ERROR',
      418,
      epError('418', "I'm a teapot"),
      'UPSTREAM_ERROR',
      {
        status: 418,
        title: "I'm a teapot",
      },
    ],
  ];

  it.each(codedFailures)('%s', async (_name, status, json, code, upstreamDetail) => {
    upstream.reply(
      write(json === undefined ? { status, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } } : { status, json }),
      memberRead(),
    );
    const result = await create();
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.extensions).toEqual({ code, upstream: upstreamDetail });
    expect(result.errors?.[0]?.message).not.toMatch(/unexpected error/i);
    expect(JSON.stringify(result)).not.toContain(TOKEN.slice(7));
    expect(upstream.received).toHaveLength(2);
  });

  const brokenAnswers: Array<[string, Answer]> = [
    ['a 201 that is not JSON', { status: 201, body: 'created', headers: { 'content-type': 'text/plain' } }],
    ['a 201 with malformed JSON', { status: 201, body: '{"data": {', headers: { 'content-type': 'application/json' } }],
    ['a 201 of an unexpected shape', { status: 201, json: { data: { id: MEMBERSHIP_ID, type: 'account' } } }],
    [
      'a 201 with an unreadable timestamp',
      {
        status: 201,
        json: { data: { ...membershipBody().data, meta: { timestamps: { created_at: 'yesterday', updated_at: 'now' } } } },
      },
    ],
  ];

  it.each(brokenAnswers)('answers UPSTREAM_ERROR for %s', async (_name, reply) => {
    upstream.reply(write(reply), memberRead());
    const result = await create();
    expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(result.errors?.[0]?.message).toMatch(/^Elastic Path sent /);
    expect(upstream.received).toHaveLength(2);
  });

  // A lost answer is looked up before answering (test/api/ensure-membership.test.ts has the cases
  // where it landed); here it did not, so the caller gets the transport failure's code.
  const noMembership = on(`GET /v2/accounts/${ACCOUNT_ID}/account-memberships?filter=eq(account_member_id,${MEMBER_ID})`, {
    status: 200,
    json: pageBody([]),
  });

  it('answers WRITE_OUTCOME_UNKNOWN, never "try again", when Elastic Path resets the connection and the lookup finds nothing', async () => {
    upstream.reply(write({ reset: true }), memberRead(), noMembership);
    const result = await create();
    expect(result.errors?.[0]).toMatchObject({
      message: `Elastic Path's answer to adding account member ${MEMBER_ID} to account ${ACCOUNT_ID} (the connection closed before the answer came) was lost, and the gateway could not tell whether it was applied: it may have been. Do not send createAccountMembership again to find out: ensureAccountMembership is the safe retry, it writes at most once and answers the membership whether or not this write made it.`,
      extensions: { code: 'WRITE_OUTCOME_UNKNOWN' },
    });
    // The write, the member's record beside it, then the lookup.
    expect(upstream.received.map((request) => request.method).sort()).toEqual(['GET', 'GET', 'POST']);
    expect(upstream.received.filter((request) => request.rawUrl.includes('filter='))).toHaveLength(1);
  });

  it('answers WRITE_OUTCOME_UNKNOWN when Elastic Path does not answer within EP_API_TIMEOUT_MS and the lookup finds nothing', async () => {
    upstream.reply(write({ hang: true }), memberRead(), noMembership);
    const result = await create();
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'WRITE_OUTCOME_UNKNOWN' });
    expect(result.errors?.[0]?.message).toContain('(no answer came within 1000 ms)');
    expect(result.errors?.[0]?.message).not.toMatch(/try again/i);
    // The write, the member's record beside it, then the lookup.
    expect(upstream.received.map((request) => request.method).sort()).toEqual(['GET', 'GET', 'POST']);
    expect(upstream.received.filter((request) => request.rawUrl.includes('filter='))).toHaveLength(1);
  });

  it('says the operation ran out of time when OPERATION_TIMEOUT_MS cut the write short and the lookup finds nothing', async () => {
    // The deadline (2 s) ends the write half a second early, well before EP_API_TIMEOUT_MS.
    const short = await startGateway({
      upstreamUrl: upstream.url,
      env: { OPERATION_TIMEOUT_MS: '2000', EP_API_TIMEOUT_MS: '5000', EP_API_MAX_ATTEMPTS: '1' },
    });
    try {
      upstream.reply(write({ hang: true }), memberRead(), noMembership);
      const result = await short.execute(
        CreateAccountMembershipDocument,
        { accountId: ACCOUNT_ID, accountMemberId: MEMBER_ID },
        { authorization: TOKEN },
      );
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'WRITE_OUTCOME_UNKNOWN' });
      expect(result.errors?.[0]?.message).toContain(
        `Elastic Path's answer to adding account member ${MEMBER_ID} to account ${ACCOUNT_ID} (the operation ran out of time) was lost`,
      );
    } finally {
      await short.close();
    }
  });

  it('keeps serving after every kind of upstream failure', async () => {
    upstream.reply(
      write({ reset: true }),
      memberRead(),
      noMembership,
      write({ status: 500, body: 'x' }),
      memberRead(),
      write({ status: 201, json: membershipBody() }),
      memberRead(),
    );
    await create();
    await create();
    const result = await create();
    expect(result.data?.createAccountMembership).toMatchObject({ __typename: 'AccountMembership' });
    const health = await fetch(`${gateway.url}/health`);
    expect(health.status).toBe(200);
  });
});

describe('createAccountMembership with an unreachable Elastic Path', () => {
  it('answers UPSTREAM_UNAVAILABLE when the connection is refused', async () => {
    // Nothing listens on port 1 (a freed ephemeral port could be taken by a parallel test).
    const offline = await startGateway({ upstreamUrl: 'http://127.0.0.1:1' });
    try {
      const result = await offline.execute(
        CreateAccountMembershipDocument,
        { accountId: ACCOUNT_ID, accountMemberId: MEMBER_ID },
        { authorization: TOKEN },
      );
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE' });
      expect(result.errors?.[0]?.message).toBe('Elastic Path is unavailable right now. Try again shortly.');
    } finally {
      await offline.close();
    }
  });
});
