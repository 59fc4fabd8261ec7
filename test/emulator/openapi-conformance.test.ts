/**
 * Every kind of answer the emulator gives, checked over real HTTP against the response schema
 * Elastic Path's OpenAPI document (spec/account-management.yaml) declares for its path, method
 * and status, with every object closed so that an undocumented field fails too.
 *
 * Where Elastic Path's service is known to differ from its document (EP-BEHAVIOUR.md), the
 * emulator follows the service; EP_BEHAVIOUR_OVERRIDES states each such difference once, as a
 * narrow edit of the document, and src/emulator/README.md lists the same rules.
 */
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { matchRoute } from '../../src/emulator/routes.js';
import { DEMO } from '../../src/emulator/seed.js';
import { startEmulator, type Reply, type EmulatorHarness } from './harness.js';
import { ResponseValidator, readOpenApiDocument, type JsonObject, type OpenApiDocument, type SpecOverride } from './openapi-responses.js';

const SPEC = new URL('../../spec/account-management.yaml', import.meta.url);
const ref = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });
const json = (schema: JsonObject) => ({ 'application/json': { schema } });
const errorBody = (description: string) => ({ description, content: json(ref('ErrorResponse')) });
/** An error answered by Elastic Path's API gateway rather than the service: `status` is a number. */
const gatewayError = (status: number) => ({
  type: 'object',
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', required: ['status', 'title'], properties: { status: { const: status }, title: { type: 'string' } } },
    },
  },
});
const rfc3986Uri = fullFormats.uri as (value: string) => boolean;

/**
 * The only places where the check departs from the published document. Each names the rule;
 * src/emulator/README.md ("Where the emulator follows EP-BEHAVIOUR over the OpenAPI document")
 * repeats them for readers of the emulator.
 */
const EP_BEHAVIOUR_OVERRIDES: readonly SpecOverride[] = [
  {
    rule:
      'POST /oauth/access_token is not in this document (it belongs to the authentication API): its 200 body is ' +
      "checked against EP-BEHAVIOUR's token shape, its 400 and 401 against the document's ErrorResponse.",
    patch(document) {
      document.components.schemas.AccessTokenResponse = {
        type: 'object',
        required: ['expires', 'identifier', 'expires_in', 'access_token', 'token_type'],
        properties: {
          expires: { type: 'integer', description: 'Epoch seconds.' },
          identifier: { enum: ['client_credentials', 'implicit'] },
          expires_in: { const: 3600 },
          access_token: { type: 'string', minLength: 1 },
          token_type: { const: 'Bearer' },
        },
      };
      document.paths['/oauth/access_token'] = {
        post: {
          security: [],
          responses: {
            '200': { description: 'OK', content: json(ref('AccessTokenResponse')) },
            '400': errorBody('Bad Request'),
            '401': errorBody('Unauthorized'),
          },
        },
      };
    },
  },
  {
    rule:
      'Every operation behind the token can answer 401 for a missing or invalid token. That answer comes from ' +
      "Elastic Path's API gateway: `status` is the number 401 and there is no `detail`. The document declares 401 " +
      'only on GET /v2/accounts and GET /v2/account-members, with `status` a string.',
    patch(document) {
      document.components.schemas.GatewayUnauthorized = gatewayError(401);
      for (const operation of tokenOperations(document)) {
        operation.responses['401'] = { description: 'Unauthorized', content: json(ref('GatewayUnauthorized')) };
      }
    },
  },
  {
    rule:
      'Every operation behind the token can answer 429 (rate limit), also from the API gateway: `status` is the ' +
      'number 429 and there is no `detail`. The document declares no 429.',
    patch(document) {
      document.components.schemas.GatewayTooManyRequests = gatewayError(429);
      for (const operation of tokenOperations(document)) {
        operation.responses['429'] = { description: 'Too Many Requests', content: json(ref('GatewayTooManyRequests')) };
      }
    },
  },
  {
    rule:
      'Every operation can answer 403 `Forbidden` for a token without permission (an implicit token); the ' +
      'document defines ForbiddenError but attaches it to no operation.',
    patch(document) {
      for (const operation of tokenOperations(document)) {
        operation.responses['403'] = { $ref: '#/components/responses/ForbiddenError' };
      }
    },
  },
  {
    rule:
      'PUT and DELETE on /v2/accounts/{accountID}/account-memberships answer 405 with an error body; the ' +
      'document has no such operations.',
    patch(document) {
      const collection = pathItem(document, '/v2/accounts/{accountID}/account-memberships');
      for (const method of ['put', 'delete']) {
        collection[method] = { responses: { '405': errorBody('Method Not Allowed') } };
      }
    },
  },
  {
    rule:
      "A page's `links.last`, `links.next` and `links.prev` are null when there is no such page; the document " +
      'types them as strings (while describing them as "Always `null` if …").',
    patch(document) {
      for (const page of pageSchemas(document)) {
        for (const name of ['last', 'next', 'prev']) page.properties.links.properties[name].type = ['string', 'null'];
      }
    },
  },
  {
    rule:
      'Page links keep `[` and `]` unencoded in their query (`?page[offset]=0&page[limit]=25`), as the ' +
      "document's own examples do; `format: uri` (RFC 3986) allows brackets only around an IPv6 host.",
    patch(document) {
      for (const page of pageSchemas(document)) {
        for (const link of Object.values(page.properties.links.properties as JsonObject)) {
          if (link.format === 'uri') link.format = 'ep-page-link';
        }
      }
    },
    formats: {
      'ep-page-link': (value: string) => {
        const query = value.indexOf('?');
        if (query === -1) return rfc3986Uri(value);
        return rfc3986Uri(value.slice(0, query) + value.slice(query).replaceAll('[', '%5B').replaceAll(']', '%5D'));
      },
    },
  },
  {
    rule:
      '`include=account_member` (memberships of an account, list and single) and `include=account` (memberships ' +
      'of a member) add `included`, an object keyed by the plural type (`{"account_members": […]}`, ' +
      '`{"accounts": […]}`) and absent when nothing is included; the document does not declare `included`.',
    patch(document) {
      const included = (key: string, schema: string) => ({
        type: 'object',
        required: [key],
        properties: { [key]: { type: 'array', minItems: 1, items: ref(schema) } },
      });
      const members = included('account_members', 'AccountMemberResponse');
      jsonBody(document, '/v2/accounts/{accountID}/account-memberships', 'get', '200').properties.included = members;
      jsonBody(document, '/v2/accounts/{accountID}/account-memberships/{membershipID}', 'get', '200').properties.included = members;
      jsonBody(document, '/v2/account-members/{accountMemberId}/account-memberships', 'get', '200').properties.included = included(
        'accounts',
        'AccountResponse',
      );
    },
  },
  {
    rule:
      'An unknown `include` on GET /v2/accounts/{accountID}/account-memberships/{membershipID} answers 400, as on ' +
      "the lists (the emulator's choice where EP-BEHAVIOUR is silent); the document declares no 400 there.",
    patch(document) {
      pathItem(document, '/v2/accounts/{accountID}/account-memberships/{membershipID}').get.responses['400'] = {
        $ref: '#/components/responses/BadRequestError',
      };
    },
  },
  {
    rule: '`format: string` (on `Error.status` and the filter parameter) names no JSON Schema format: any string passes.',
    formats: { string: true },
  },
];

const validator = new ResponseValidator(readOpenApiDocument(SPEC), EP_BEHAVIOUR_OVERRIDES);

function pathItem(document: OpenApiDocument, template: string): JsonObject {
  const item = document.paths[template];
  if (item === undefined) throw new Error(`The document has no path ${template}; update EP_BEHAVIOUR_OVERRIDES`);
  return item;
}

function jsonBody(document: OpenApiDocument, template: string, method: string, status: string): JsonObject {
  const schema = pathItem(document, template)[method]?.responses?.[status]?.content?.['application/json']?.schema;
  if (schema?.properties === undefined) throw new Error(`No inline ${status} body for ${method} ${template}`);
  return schema;
}

/** Operations behind the document's bearer token (all but the token endpoint itself). */
function tokenOperations(document: OpenApiDocument): JsonObject[] {
  return Object.values(document.paths).flatMap((item) =>
    ['get', 'put', 'post', 'delete', 'patch']
      .map((method) => item[method] as JsonObject | undefined)
      .filter((operation): operation is JsonObject => operation !== undefined && operation.security?.length !== 0),
  );
}

/** The 200 body of every list: the ones with `meta: MetaList`. */
function pageSchemas(document: OpenApiDocument): JsonObject[] {
  return Object.values(document.paths).flatMap((item) =>
    Object.values(item)
      .map((operation: JsonObject) => operation?.responses?.['200']?.content?.['application/json']?.schema)
      .filter((schema): schema is JsonObject => schema?.properties?.meta?.$ref === '#/components/schemas/MetaList'),
  );
}

// ---------------------------------------------------------------------------------------------

const { acme, acmeEurope, globex } = DEMO.accounts;
const { ron, andy } = DEMO.members;
const { acmeRon } = DEMO.memberships;
const UNKNOWN = '0f000000-0000-4000-8000-00000000dead';
/** With this limit, Acme (three members) is full and Globex (one) is not. */
const MEMBERSHIP_LIMIT = 3;

type Auth = 'client' | 'none' | 'implicit' | 'implicit+account';

interface Case {
  readonly name: string;
  readonly method?: string;
  /** Path and query. */
  readonly target: string;
  readonly status: number;
  /** @default 'client' */
  readonly auth?: Auth;
  readonly json?: unknown;
  readonly body?: string;
  readonly form?: Record<string, string>;
  readonly before?: (ep: EmulatorHarness) => void | Promise<void>;
  /** What shows the case reached the branch it names, beyond the schema. */
  readonly then?: (body: any) => void;
}

const accountMemberships = (account: string) => `/v2/accounts/${account}/account-memberships`;
const membership = (account: string, id: string) => `${accountMemberships(account)}/${id}`;
const unassigned = (account: string) => `${accountMemberships(account)}/unassigned-account-members`;
const memberMemberships = (member: string) => `/v2/account-members/${member}/account-memberships`;
const createBody = (member: string) => ({ data: { type: 'account_membership', account_member_id: member } });

const ids = (body: any) => body.data.map((item: { id: string }) => item.id);
const detail = (text: string) => (body: any) => expect(body.errors[0].detail).toBe(text);
const count =
  (total: number, pageSize = total) =>
  (body: any) => {
    expect(body.meta.results.total).toBe(total);
    expect(body.data).toHaveLength(pageSize);
  };
const includes = (key: string, length: number) => (body: any) => expect(body.included[key]).toHaveLength(length);
const includesNothing = (body: any) => expect(body).not.toHaveProperty('included');
const linksEveryPage = (body: any) => expect(Object.values(body.links).every((link) => typeof link === 'string')).toBe(true);
const unauthorized = (body: any) => expect(body.errors[0]).toEqual({ status: 401, title: 'Unable to validate access token' });

/** 401 without a token and 403 with an implicit one: every operation behind the token. */
function authFailures(method: string, target: string, extra: Partial<Case> = {}): Case[] {
  return [
    { name: `${method} ${target} without a token`, method, target, status: 401, auth: 'none', then: unauthorized, ...extra },
    { name: `${method} ${target} with an implicit token`, method, target, status: 403, auth: 'implicit', ...extra },
  ];
}

const CASES: readonly Case[] = [
  // POST /oauth/access_token
  ...(
    [
      ['a client_credentials token', { grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }, 200],
      ['an implicit token', { grant_type: 'implicit', client_id: 'demo-client' }, 200],
      ['no token for a wrong secret', { grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'nope' }, 401],
      ['no token for an unsupported grant', { grant_type: 'password', client_id: 'demo-client' }, 400],
    ] as const
  ).map(
    ([what, form, status]): Case => ({
      name: `POST /oauth/access_token: ${what}`,
      method: 'POST',
      target: '/oauth/access_token',
      auth: 'none',
      form,
      status,
    }),
  ),

  // GET /v2/accounts
  { name: 'accounts: the first page', target: '/v2/accounts', status: 200, then: count(3) },
  {
    name: 'accounts: filtered, sorted, second page of one',
    target: '/v2/accounts?filter=like(name,Acme*)&sort=name&page[limit]=1&page[offset]=1',
    status: 200,
    then: (body) => expect(body.data.map((account: { name: string }) => account.name)).toEqual(['Acme Europe']),
  },
  { name: 'accounts: page limit over 100', target: '/v2/accounts?page[limit]=101', status: 400 },
  { name: 'accounts: filter on an unknown field', target: '/v2/accounts?filter=eq(colour,red)', status: 400 },
  ...authFailures('GET', '/v2/accounts'),

  // GET /v2/accounts/{accountID}
  { name: 'account: a root account', target: `/v2/accounts/${acme.id}`, status: 200 },
  {
    name: 'account: a child account with parent and ancestors',
    target: `/v2/accounts/${acmeEurope.id}`,
    status: 200,
    then: (body) => expect(body.data.relationships.parent.data.id).toBe(acme.id),
  },
  { name: 'account: unknown', target: `/v2/accounts/${UNKNOWN}`, status: 404, then: detail('account not found') },
  ...authFailures('GET', `/v2/accounts/${acme.id}`),

  // GET /v2/account-members
  { name: 'account members: the first page', target: '/v2/account-members', status: 200, then: count(5) },
  {
    name: 'account members: filtered by email',
    target: '/v2/account-members?filter=eq(email,ron@swanson.com)',
    status: 200,
    then: (body) => expect(ids(body)).toEqual([ron.id]),
  },
  {
    name: 'account members: filtered, sorted, a middle page',
    target: '/v2/account-members?filter=like(name,*a*)&sort=-name&page[limit]=1&page[offset]=1',
    status: 200,
    then: linksEveryPage,
  },
  { name: 'account members: page limit 0', target: '/v2/account-members?page[limit]=0', status: 400 },
  { name: 'account members: page offset over 10000', target: '/v2/account-members?page[offset]=10001', status: 400 },
  { name: 'account members: unknown sort field', target: '/v2/account-members?sort=shoe_size', status: 400 },
  ...authFailures('GET', '/v2/account-members'),

  // GET /v2/account-members/{accountMemberID}
  { name: 'account member: with given and family names', target: `/v2/account-members/${ron.id}`, status: 200 },
  { name: 'account member: name and email only', target: `/v2/account-members/${andy.id}`, status: 200 },
  { name: 'account member: unknown', target: `/v2/account-members/${UNKNOWN}`, status: 404, then: detail('not found') },
  ...authFailures('GET', `/v2/account-members/${ron.id}`),

  // GET /v2/account-members/{accountMemberId}/account-memberships
  { name: "member's memberships: all", target: memberMemberships(ron.id), status: 200, then: count(2) },
  {
    name: "member's memberships: with include=account",
    target: `${memberMemberships(ron.id)}?include=account`,
    status: 200,
    then: includes('accounts', 2),
  },
  {
    name: "member's memberships: include=account with nothing to include",
    target: `${memberMemberships(andy.id)}?include=account`,
    status: 200,
    then: includesNothing,
  },
  {
    name: "member's memberships: filtered, first page of one",
    target: `${memberMemberships(ron.id)}?filter=eq(account_member_id,${ron.id})&page[limit]=1`,
    status: 200,
    then: count(2, 1),
  },
  { name: "member's memberships: unknown include", target: `${memberMemberships(ron.id)}?include=accounts`, status: 400 },
  { name: "member's memberships: unknown member", target: memberMemberships(UNKNOWN), status: 404 },
  ...authFailures('GET', memberMemberships(ron.id)),

  // POST /v2/accounts/{accountID}/account-memberships
  { name: 'create membership', method: 'POST', target: accountMemberships(globex.id), json: createBody(andy.id), status: 201 },
  {
    name: 'create membership: already a member',
    method: 'POST',
    target: accountMemberships(acme.id),
    json: createBody(ron.id),
    status: 409,
    then: detail('account membership with the given account id and account member id already exists'),
  },
  {
    name: 'create membership: unknown account',
    method: 'POST',
    target: accountMemberships(UNKNOWN),
    json: createBody(andy.id),
    status: 404,
    then: detail('account not found'),
  },
  {
    name: 'create membership: unknown member',
    method: 'POST',
    target: accountMemberships(globex.id),
    json: createBody(UNKNOWN),
    status: 404,
    then: detail('not found'),
  },
  {
    name: 'create membership: wrong type',
    method: 'POST',
    target: accountMemberships(globex.id),
    json: { data: { type: 'account_member', account_member_id: andy.id } },
    status: 422,
    then: detail("Validation failed: field 'Type' on the 'account-membership-type' tag."),
  },
  {
    name: 'create membership: no account_member_id',
    method: 'POST',
    target: accountMemberships(globex.id),
    json: { data: { type: 'account_membership' } },
    status: 422,
  },
  { name: 'create membership: body not JSON', method: 'POST', target: accountMemberships(globex.id), body: '{', status: 400 },
  {
    name: 'create membership: account full',
    method: 'POST',
    target: accountMemberships(acme.id),
    json: createBody(andy.id),
    status: 400,
    then: detail('the number of account memberships with a particular account exceeds the limit'),
  },
  ...authFailures('POST', accountMemberships(globex.id), { json: createBody(andy.id) }),
  { name: 'PUT on the memberships collection', method: 'PUT', target: accountMemberships(acme.id), status: 405 },
  { name: 'DELETE on the memberships collection', method: 'DELETE', target: accountMemberships(acme.id), status: 405 },

  // GET /v2/accounts/{accountID}/account-memberships
  { name: "account's memberships: all", target: accountMemberships(acme.id), status: 200, then: count(3) },
  {
    name: "account's memberships: with include=account_member",
    target: `${accountMemberships(acme.id)}?include=account_member`,
    status: 200,
    then: includes('account_members', 3),
  },
  {
    name: "account's memberships: filtered by member, with include",
    target: `${accountMemberships(acme.id)}?filter=eq(account_member_id,${ron.id})&include=account_member`,
    status: 200,
    then: includes('account_members', 1),
  },
  {
    name: "account's memberships: include with nothing to include",
    target: `${accountMemberships(acme.id)}?filter=eq(account_member_id,${andy.id})&include=account_member`,
    status: 200,
    then: includesNothing,
  },
  {
    name: "account's memberships: sorted, a middle page",
    target: `${accountMemberships(acme.id)}?sort=created_at&page[limit]=1&page[offset]=1`,
    status: 200,
    then: linksEveryPage,
  },
  {
    name: "account's memberships: with an Account Management token",
    target: accountMemberships(acme.id),
    auth: 'implicit+account',
    status: 200,
  },
  { name: "account's memberships: plural include", target: `${accountMemberships(acme.id)}?include=account_members`, status: 400 },
  {
    name: "account's memberships: unsupported filter operator",
    target: `${accountMemberships(acme.id)}?filter=gt(account_member_id,${ron.id})`,
    status: 400,
  },
  { name: "account's memberships: unknown account", target: accountMemberships(UNKNOWN), status: 404 },
  {
    name: "account's memberships: a fault in the emulator",
    target: accountMemberships(acme.id),
    status: 500,
    before(ep) {
      vi.spyOn(console, 'error').mockImplementation(() => undefined);
      vi.spyOn(ep.emulator.store, 'membershipsOfAccount').mockImplementationOnce(() => {
        throw new Error('disk on fire');
      });
    },
    then: detail('there was a problem processing your request'),
  },
  {
    name: "account's memberships: rate limited",
    target: accountMemberships(acme.id),
    status: 429,
    before: (ep) => ep.emulator.faults.set({ burst429: 1 }),
    then: (body) => expect(body.errors[0].status).toBe(429),
  },
  ...authFailures('GET', accountMemberships(acme.id)),

  // GET /v2/accounts/{accountID}/account-memberships/{membershipID}
  { name: 'membership', target: membership(acme.id, acmeRon.id), status: 200 },
  {
    name: 'membership: with include=account_member',
    target: `${membership(acme.id, acmeRon.id)}?include=account_member`,
    status: 200,
    then: includes('account_members', 1),
  },
  {
    name: 'membership: with an Account Management token',
    target: membership(acme.id, acmeRon.id),
    auth: 'implicit+account',
    status: 200,
  },
  { name: 'membership: unknown include', target: `${membership(acme.id, acmeRon.id)}?include=account`, status: 400 },
  {
    name: 'membership: unknown',
    target: membership(acme.id, UNKNOWN),
    status: 404,
    then: detail('Repository.GetAccountMembership failed: account membership not found'),
  },
  { name: 'membership: of another account', target: membership(globex.id, acmeRon.id), status: 404 },
  { name: 'membership: unknown account', target: membership(UNKNOWN, acmeRon.id), status: 404 },
  ...authFailures('GET', membership(acme.id, acmeRon.id)),

  // DELETE /v2/accounts/{accountID}/account-memberships/{membershipID}
  { name: 'delete membership', method: 'DELETE', target: membership(acme.id, acmeRon.id), status: 204 },
  {
    name: 'delete membership: already deleted',
    method: 'DELETE',
    target: membership(acme.id, acmeRon.id),
    status: 404,
    before: (ep) => void ep.emulator.store.removeMembership(acme.id, acmeRon.id),
  },
  { name: 'delete membership: unknown', method: 'DELETE', target: membership(acme.id, UNKNOWN), status: 404 },
  ...authFailures('DELETE', membership(acme.id, acmeRon.id)),

  // GET /v2/accounts/{accountID}/account-memberships/unassigned-account-members
  { name: 'unassigned members', target: unassigned(acme.id), status: 200, then: count(2) },
  {
    name: 'unassigned members: filtered by name',
    target: `${unassigned(acme.id)}?filter=like(name,*dy*)`,
    status: 200,
    then: (body) => expect(ids(body)).toEqual([andy.id]),
  },
  { name: 'unassigned members: second page of one', target: `${unassigned(acme.id)}?page[limit]=1&page[offset]=1`, status: 200 },
  { name: 'unassigned members: page limit not a number', target: `${unassigned(acme.id)}?page[limit]=abc`, status: 400 },
  { name: 'unassigned members: unknown account', target: unassigned(UNKNOWN), status: 404 },
  ...authFailures('GET', unassigned(acme.id)),
];

let ep: EmulatorHarness;
beforeEach(async () => {
  ep = await startEmulator({ membershipLimit: MEMBERSHIP_LIMIT });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await ep.close();
});

function send(testCase: Case): Promise<Reply> {
  const { method = 'GET', target, auth = 'client', json, form } = testCase;
  const headers: Record<string, string> = {};
  let token: string | null = ep.token;
  if (auth === 'none') token = null;
  if (auth === 'implicit' || auth === 'implicit+account') token = ep.emulator.issueToken('implicit');
  if (auth === 'implicit+account') {
    headers['EP-Account-Management-Authentication-Token'] = ep.emulator.issueAccountManagementToken(acme.id);
  }
  if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const body = form !== undefined ? new URLSearchParams(form).toString() : testCase.body;
  return ep.call(target, { method, token, headers, ...(json !== undefined && { json }), ...(body !== undefined && { body }) });
}

describe('every emulator answer matches the OpenAPI document', () => {
  it.each(CASES)('$name', async (testCase) => {
    await testCase.before?.(ep);
    const answer = await send(testCase);
    const check = validator.check({
      method: testCase.method ?? 'GET',
      path: new URL(testCase.target, ep.baseUrl).pathname,
      status: answer.status,
      contentType: answer.headers.get('content-type'),
      text: answer.text,
    });

    expect(answer.status, answer.text).toBe(testCase.status);
    expect(check.problems).toEqual([]);
    testCase.then?.(answer.body);
  });
});

describe('the cases above', () => {
  /** What each operation the emulator serves must be seen answering. */
  const EXPECTED: Record<string, number[]> = {
    'POST /oauth/access_token': [200, 400, 401],
    'GET /v2/accounts': [200, 400, 401, 403],
    'GET /v2/accounts/{accountID}': [200, 401, 403, 404],
    'GET /v2/account-members': [200, 400, 401, 403],
    'GET /v2/account-members/{accountMemberID}': [200, 401, 403, 404],
    'GET /v2/account-members/{accountMemberId}/account-memberships': [200, 400, 401, 403, 404],
    'POST /v2/accounts/{accountID}/account-memberships': [201, 400, 401, 403, 404, 409, 422],
    'GET /v2/accounts/{accountID}/account-memberships': [200, 400, 401, 403, 404, 429, 500],
    'PUT /v2/accounts/{accountID}/account-memberships': [405],
    'DELETE /v2/accounts/{accountID}/account-memberships': [405],
    'GET /v2/accounts/{accountID}/account-memberships/{membershipID}': [200, 400, 401, 403, 404],
    'DELETE /v2/accounts/{accountID}/account-memberships/{membershipID}': [204, 401, 403, 404],
    'GET /v2/accounts/{accountID}/account-memberships/unassigned-account-members': [200, 400, 401, 403, 404],
  };

  it('cover every operation the emulator routes, with each status it can answer', () => {
    const seen = new Map<string, Set<number>>();
    for (const { method = 'GET', target, status } of CASES) {
      const template = validator.templateOf(new URL(target, 'http://emulator').pathname);
      const operation = `${method} ${template}`;
      seen.set(operation, (seen.get(operation) ?? new Set()).add(status));
    }
    const covered = Object.fromEntries([...seen].map(([operation, statuses]) => [operation, [...statuses].sort((a, b) => a - b)]));

    expect(covered).toEqual(EXPECTED);
  });

  it('leave out no operation of the document that the emulator routes', () => {
    const routed = validator.operations.filter((operation) => {
      const [method = '', template = ''] = operation.split(' ');
      const segments = template
        .split('/')
        .slice(1)
        .map((segment) => (segment.startsWith('{') ? 'id' : segment));
      return matchRoute(method, segments)?.operation !== undefined;
    });
    const answeredOnlyWith405 = Object.keys(EXPECTED).filter((operation) => EXPECTED[operation]?.join() === '405');

    expect(routed.sort()).toEqual(
      Object.keys(EXPECTED)
        .filter((op) => !answeredOnlyWith405.includes(op))
        .sort(),
    );
  });
});
