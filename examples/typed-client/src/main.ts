/**
 * The client at work, against `npm run dev` or any gateway:
 *
 *   GATEWAY_URL=http://localhost:4000/graphql EP_TOKEN=<token npm run dev prints> npm start
 *
 * It adds a member to an account, saying what happened for each member of the result union, then
 * lists the account's memberships page by page. A failed call prints its code and request id and
 * exits 1. ACCOUNT_ID and MEMBER_ID (default: the emulator's Acme Corporation and Andy Dwyer),
 * PAGE_SIZE (default 2) and SEND_QUERY_TEXT (`false`: ids only) change the run.
 */
import { createGatewayClient, GatewayError, type GatewayClient } from './client.js';
import type { AccountMembershipsPageQuery, AddMemberMutation } from './gql/graphql.js';
import { AccountMembershipsPage, AddMember } from './operations.js';

type AddMemberResult = AddMemberMutation['createAccountMembership'];
type MembershipsPage = AccountMembershipsPageQuery['accountMemberships'];

/** A case per union member; a member added to the schema fails `npm run typecheck` here. */
function describeAddMember(result: AddMemberResult): string {
  switch (result.__typename) {
    case 'AccountMembership':
      return `added ${result.accountMember.name} <${result.accountMember.email}> to account ${result.accountId} (membership ${result.id})`;
    case 'MembershipAlreadyExistsError':
      return `already a member: ${result.message}`;
    case 'MembershipLimitReachedError':
      return `the account is full (${result.limit} memberships): ${result.message}`;
    case 'NotFoundError':
      return `no such ${result.resource}: ${result.message}`;
    case 'ValidationError':
      return `refused${result.field ? ` (${result.field})` : ''}: ${result.message}`;
    default:
      return unreachable(result);
  }
}

function unreachable(result: never): never {
  throw new Error(`Unhandled result ${(result as { __typename?: string }).__typename}`);
}

/** The account's memberships, one page per call, until the last. */
async function* membershipPages(client: GatewayClient, accountId: string, pageSize: number): AsyncGenerator<MembershipsPage> {
  let after: string | null = null;
  do {
    const page: MembershipsPage = (await client.execute(AccountMembershipsPage, { accountId, first: pageSize, after })).accountMemberships;
    yield page;
    after = page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null;
  } while (after !== null);
}

async function main(env: Record<string, string | undefined>): Promise<number> {
  const token = env.EP_TOKEN;
  if (!token) {
    console.error('Set EP_TOKEN to an Elastic Path access token (npm run dev prints one).');
    return 2;
  }
  const client = createGatewayClient({
    url: env.GATEWAY_URL ?? 'http://localhost:4000/graphql',
    token,
    sendQueryText: env.SEND_QUERY_TEXT !== 'false',
  });
  const accountId = env.ACCOUNT_ID ?? '0a000000-0000-4000-8000-000000000001';
  const accountMemberId = env.MEMBER_ID ?? '0b000000-0000-4000-8000-000000000004';
  const pageSize = Number(env.PAGE_SIZE ?? 2);

  try {
    const { createAccountMembership } = await client.execute(AddMember, { accountId, accountMemberId });
    console.log(`AddMember: ${createAccountMembership.__typename}: ${describeAddMember(createAccountMembership)}`);

    let number = 0;
    for await (const page of membershipPages(client, accountId, pageSize)) {
      number += 1;
      if (number === 1) console.log(`Memberships of ${accountId} (${page.totalCount}), ${pageSize} per page:`);
      console.log(`  page ${number}: ${page.edges.map(({ node }) => node.accountMember.name ?? node.accountMember.id).join(', ')}`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    console.error(`The gateway refused the call: ${error.code}: ${error.message} (request id ${error.requestId ?? 'none'})`);
    return 1;
  }
}

process.exitCode = await main(process.env);
