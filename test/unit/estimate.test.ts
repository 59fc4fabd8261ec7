/**
 * The cost estimate's rules, one operation each, on the served schema and the real default settings:
 * every case asserts the exact number of calls, with members read one by one (the default) and in
 * batches (EP_MEMBER_BATCH_LOOKUP=true). Each name's `real` is what the gateway made of the operation
 * against the emulator's demo store (with the default settings unless it says `batched`), counted
 * once by hand: the estimate is never below it, and where it is above, the name says why.
 */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { estimateCalls } from '../../src/cost/estimate.js';
import { DEMO } from '../../src/emulator/seed.js';
import { schema } from '../../src/schema/index.js';

const ONE_BY_ONE = loadConfig({});
const BATCHED = loadConfig({ EP_MEMBER_BATCH_LOOKUP: 'true' });

const { acme, acmeEurope, globex } = DEMO.accounts;
const { ron, leslie, april, andy, tom } = DEMO.members;
const { acmeRon, acmeLeslie } = DEMO.memberships;
/** A well-formed member id the demo store does not hold. */
const nobody = (index: number) => `0b000000-0000-4000-8000-${String(100 + index).padStart(12, '0')}`;
const missingAccount = (index: number) => `0a000000-0000-4000-8000-${String(900 + index).padStart(12, '0')}`;
const accountIds = (count: number) =>
  Array.from({ length: count }, (_, index) => `0a000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`);

interface Case {
  /** What the rule is, and how the estimate compares with the calls really made. */
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** The estimate with members read one by one (the default). */
  calls: number;
  /** The estimate with members read in batches, when it differs. */
  batched?: number;
}

const estimate = ({ query, variables, operationName }: Case, settings: typeof ONE_BY_ONE) =>
  estimateCalls({ schema, document: parse(query), variableValues: variables, operationName }, settings);

const MEMBER_PAGES = 'edges { node { memberships { totalCount } } }';
const ENSURED_MEMBER_NAMES =
  '... on EnsuredAccountMemberships { results { ... on EnsuredAccountMembership { membership { accountMember { name } } } } }';

const GROUPS: Record<string, Case[]> = {
  'an operation execution refuses before any resolver': [
    {
      name: 'an operationName no operation has costs 0 (real 0)',
      query: `query One { accountMember(id: "${ron.id}") { name } }`,
      operationName: 'Two',
      calls: 0,
    },
    {
      name: 'two operations and no operationName cost 0 (real 0)',
      query: `query One { accountMember(id: "${ron.id}") { name } } query Two { accountMember(id: "${leslie.id}") { name } }`,
      calls: 0,
    },
    {
      name: 'a required variable left out costs 0 (real 0)',
      query: 'query ($id: ID!) { accountMember(id: $id) { name } }',
      calls: 0,
    },
    {
      name: 'a variable of the wrong type costs 0 (real 0)',
      query: `query ($first: Int) { accountMembers(first: $first) { ${MEMBER_PAGES} } }`,
      variables: { first: 'ten' },
      calls: 0,
    },
  ],
  'page sizes': [
    {
      name: 'a page without first holds 25 nodes: 1 + 25 (real 6: the demo store has 5 members)',
      query: `{ accountMembers { ${MEMBER_PAGES} } }`,
      calls: 26,
    },
    {
      name: 'first: null is the default 25 (real 6: 5 members)',
      query: `{ accountMembers(first: null) { ${MEMBER_PAGES} } }`,
      calls: 26,
    },
    {
      name: 'a literal first sets the size: 1 + 4 (real 5)',
      query: `{ accountMembers(first: 4) { ${MEMBER_PAGES} } }`,
      calls: 5,
    },
    {
      name: 'a variable first sets the size: 1 + 3 (real 4)',
      query: `query ($first: Int) { accountMembers(first: $first) { ${MEMBER_PAGES} } }`,
      variables: { first: 3 },
      calls: 4,
    },
    {
      name: "a variable's default sets the size when the variable is left out: 1 + 2 (real 3)",
      query: `query ($first: Int = 2) { accountMembers(first: $first) { ${MEMBER_PAGES} } }`,
      calls: 3,
    },
    {
      name: 'a variable given beats its default: 1 + 4 (real 5)',
      query: `query ($first: Int = 2) { accountMembers(first: $first) { ${MEMBER_PAGES} } }`,
      variables: { first: 4 },
      calls: 5,
    },
    {
      name: 'a page whose nodes select only their record costs its one call (real 1)',
      query: '{ accountMembers(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name email } } } }',
      calls: 1,
    },
    {
      name: 'first: 0 is refused before any call, with what it selects (real 0)',
      query: `{ accountMembers(first: 0) { ${MEMBER_PAGES} } }`,
      calls: 0,
    },
    {
      name: 'first: 101 is refused before any call (real 0)',
      query: `{ accountMembers(first: 101) { ${MEMBER_PAGES} } }`,
      calls: 0,
    },
    {
      name: 'first: -1 from a variable is refused before any call (real 0)',
      query: `query ($first: Int) { accountMembers(first: $first) { ${MEMBER_PAGES} } }`,
      variables: { first: -1 },
      calls: 0,
    },
    {
      name: 'a null for a required argument, through a variable with a default, is refused (real 0)',
      query: `query ($accountId: ID = "${acme.id}") { accountMemberships(accountId: $accountId, first: 2) { totalCount } }`,
      variables: { accountId: null },
      calls: 0,
    },
    {
      name: 'a nested page refused costs nothing per node: only the outer page (real 1)',
      query: '{ accountMembers(first: 4) { edges { node { memberships(first: 0) { totalCount } } } } }',
      calls: 1,
    },
    {
      name: 'nested pages multiply: 1 + 4 member pages + 4 × 3 account pages (real 7: the 4 members are in 2 accounts, each page read once)',
      query:
        '{ accountMembers(first: 4) { edges { node { memberships(first: 3) { edges { node { account { memberships(first: 2) { totalCount } } } } } } } } }',
      calls: 17,
    },
    {
      name: 'an account page of unassigned members: 1 + 2 member pages (real 3)',
      query: `{ unassignedAccountMembers(accountId: "${acme.id}", first: 2) { edges { node { name memberships(first: 4) { totalCount } } } } }`,
      calls: 3,
    },
  ],
  'record reads': [
    {
      name: "a lookup's fields share its one read (real 1)",
      query: `{ accountMember(id: "${ron.id}") { id name email givenName familyName createdAt updatedAt } }`,
      calls: 1,
    },
    {
      name: 'a lookup reads its record even for the id alone (real 1)',
      query: `{ accountMember(id: "${ron.id}") { id } }`,
      calls: 1,
    },
    {
      name: "the account a page's argument names is read once for all its nodes: page + account (real 2)",
      query: `{ accountMemberships(accountId: "${acme.id}", first: 100) { edges { node { account { name legalName createdAt } } } } }`,
      calls: 2,
    },
    {
      name: "a page's account selected by id only is not read (real 1)",
      query: `{ accountMemberships(accountId: "${acme.id}", first: 3) { edges { node { id account { id } accountMember { id } } } } }`,
      calls: 1,
    },
    {
      name: "a membership's account, named by id only, is read; its member comes included (real 2)",
      query: `{ accountMembership(accountId: "${acme.id}", id: "${acmeRon.id}") { createdAt account { name } accountMember { name email } } }`,
      calls: 2,
    },
    {
      name: "a membership's relations selected by id only cost nothing beyond it (real 1)",
      query: `{ accountMembership(accountId: "${acme.id}", id: "${acmeRon.id}") { account { id } accountMember { id } } }`,
      calls: 1,
    },
    {
      name: "an account page does not read the account's record (real 2)",
      query: `{ accountMembership(accountId: "${acme.id}", id: "${acmeRon.id}") { account { memberships(first: 3) { totalCount } } } }`,
      calls: 2,
    },
    {
      name: "a member's page includes its accounts and names the member itself (real 2)",
      query: `{ accountMember(id: "${ron.id}") { name memberships(first: 5) { edges { node { account { name } accountMember { name } } } } } }`,
      calls: 2,
    },
    {
      name: "an account's parent is read after the account: 2 reads, and a lookup the batch may not return for the named one (real 2)",
      query: `{ account(id: "${acmeEurope.id}") { name parent { name } } }`,
      calls: 3,
    },
  ],
  'batches and named ids': [
    {
      name: 'one named account, with nothing to batch it with, is one call (real 1)',
      query: `{ account(id: "${acme.id}") { name } }`,
      calls: 1,
    },
    {
      name: 'two named accounts: one call each, and one lookup each a batch may not return (real 1)',
      query: `{ a: account(id: "${acme.id}") { name } b: account(id: "${globex.id}") { name } }`,
      calls: 4,
    },
    {
      name: 'a named account and a named member are no batch together (real 2)',
      query: `{ account(id: "${acme.id}") { name } accountMember(id: "${ron.id}") { name } }`,
      calls: 2,
    },
    {
      name: 'two named members: one call each, or batched one call each and a lookup each (real 2, batched 1)',
      query: `{ a: accountMember(id: "${ron.id}") { name } b: accountMember(id: "${leslie.id}") { name } }`,
      calls: 2,
      batched: 4,
    },
    {
      name: 'one named member and one missing: the missing one is looked up alone when batched (real 2)',
      query: `{ a: accountMember(id: "${ron.id}") { name } b: accountMember(id: "${nobody(1)}") { name } }`,
      calls: 2,
      batched: 4,
    },
    {
      name: 'members read for a bulk write: 5 + 6, then 5 reads, or 1 batch (real 5, batched 4: three are in already, as the first page shows)',
      query: `mutation { ensureAccountMemberships(accountId: "${acme.id}", accountMemberIds: ["${ron.id}", "${leslie.id}", "${april.id}", "${andy.id}", "${tom.id}"]) { ${ENSURED_MEMBER_NAMES} } }`,
      calls: 16,
      batched: 12,
    },
    {
      name: 'one membership of an account the store lacks reads that account beside it, nothing to batch it with (real 2)',
      query: `{ accountMembership(accountId: "${missingAccount(1)}", id: "${acmeRon.id}") { account { name } } }`,
      calls: 2,
    },
    {
      name: 'memberships of two accounts named by argument: 2 reads, and one lookup each a batch may not return (real 5 when both are missing)',
      query: `{ a: accountMembership(accountId: "${missingAccount(1)}", id: "${acmeRon.id}") { account { name } } b: accountMembership(accountId: "${missingAccount(2)}", id: "${acmeRon.id}") { account { name } } }`,
      calls: 6,
    },
    {
      name: 'pages of two accounts named by argument: 2 pages, 2 account reads, 2 lookups (real 5 when both are missing)',
      query: `{ a: accountMemberships(accountId: "${missingAccount(1)}", first: 2) { edges { node { account { name } } } } b: accountMemberships(accountId: "${missingAccount(2)}", first: 2) { edges { node { account { name } } } } }`,
      calls: 6,
    },
    {
      name: "an account's own page shares that account, not named again: 2 reads, the page, 1 lookup for the named id (real 2: the loader has it)",
      query: `{ account(id: "${acme.id}") { name memberships(first: 3) { edges { node { account { name } } } } } }`,
      calls: 4,
    },
    {
      name: '150 named accounts: ⌈150/100⌉ batches and one lookup each (real 149: 2 batches, then each of the 147 the store lacks alone)',
      query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Account { name } } }',
      variables: { representations: accountIds(150).map((id) => ({ __typename: 'Account', id })) },
      calls: 152,
    },
    {
      name: '100 named accounts: one batch and one lookup each (real 98: 1 batch, then each of the 97 the store lacks alone)',
      query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Account { name } } }',
      variables: { representations: accountIds(100).map((id) => ({ __typename: 'Account', id })) },
      calls: 101,
    },
  ],
  'relations of what a field yields': [
    {
      name: "a page's members come included when their fields are selected (real 1)",
      query: `{ accountMemberships(accountId: "${acme.id}", first: 3) { edges { node { accountMember { name email } } } } }`,
      calls: 1,
    },
    {
      name: 'the member a bulk write names is its parent on its own page: read once per member (real 7: Ron is in already)',
      query: `mutation { ensureAccountMemberships(accountId: "${globex.id}", accountMemberIds: ["${andy.id}", "${ron.id}"]) { ... on EnsuredAccountMemberships { results { ... on EnsuredAccountMembership { membership { accountMember { memberships(first: 3) { edges { node { accountMember { name } } } } } } } } } } }`,
      calls: 9,
    },
    {
      name: "a bulk write's results share its one account (real 5: Ron is in already)",
      query: `mutation { ensureAccountMemberships(accountId: "${globex.id}", accountMemberIds: ["${andy.id}", "${ron.id}", "${leslie.id}"]) { ... on EnsuredAccountMemberships { results { ... on EnsuredAccountMembership { membership { account { name } } } } } } }`,
      calls: 8,
    },
    {
      name: "an event's member is read for its fields (real 1 per event)",
      query: `subscription { accountMembershipEvents(accountId: "${acme.id}") { membership { accountMember { name } } } }`,
      calls: 1,
    },
    {
      name: "an event's member's page names the member, read once for every node (real 2 per event)",
      query: `subscription { accountMembershipEvents(accountId: "${acme.id}") { membership { accountMember { memberships(first: 3) { edges { node { accountMember { name } } } } } } } }`,
      calls: 2,
    },
    {
      name: "an event's own fields cost nothing (real 0 per event)",
      query: `subscription { accountMembershipEvents(accountId: "${acme.id}") { id type accountId membershipId receivedAt membership { id createdAt accountMember { id } } } }`,
      calls: 0,
    },
  ],
  writes: [
    {
      name: 'a create whose member is selected by id only is its write (real 1)',
      query: `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { ... on AccountMembership { id accountMember { __typename id } } } }`,
      calls: 1,
    },
    {
      name: "a create reads its member beside the write for the member's fields (real 2)",
      query: `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { ... on AccountMembership { accountMember { name email } } } }`,
      calls: 2,
    },
    {
      name: "a create reads its member beside the write for the member's page too, then the page (real 3)",
      query: `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { ... on AccountMembership { accountMember { memberships(first: 5) { edges { node { accountMember { name } } } } } } } }`,
      calls: 3,
    },
    {
      name: "a create's account is read after it: write, member, account (real 3)",
      query: `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { ... on AccountMembership { accountMember { name } account { name } } } }`,
      calls: 3,
    },
    {
      name: 'two creates read their members beside their writes, neither named for a batch (real 4)',
      query: `mutation { a: createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { ... on AccountMembership { accountMember { name } } } b: createAccountMembership(accountId: "${globex.id}", accountMemberId: "${ron.id}") { ... on AccountMembership { accountMember { name } } } }`,
      calls: 4,
    },
    {
      name: 'an ensure is its write and the lookup beside it (real 2)',
      query: `mutation { ensureAccountMembership(accountId: "${acme.id}", accountMemberId: "${ron.id}") { ... on EnsuredAccountMembership { outcome membership { id accountMember { id } } } } }`,
      calls: 2,
    },
    {
      name: "an ensure reads its member beside the write for the member's fields (real 3)",
      query: `mutation { ensureAccountMembership(accountId: "${acme.id}", accountMemberId: "${ron.id}") { ... on EnsuredAccountMembership { membership { accountMember { name email } } } } }`,
      calls: 3,
    },
    {
      name: 'a bulk ensure of 3 ids from a literal: 3 writes + min(3 + 1, 10) reads (real 1: all on the first page)',
      query: `mutation { ensureAccountMemberships(accountId: "${acme.id}", accountMemberIds: ["${ron.id}", "${leslie.id}", "${april.id}"]) { ... on EnsuredAccountMemberships { created existing } } }`,
      calls: 7,
    },
    {
      name: "a bulk ensure of 3 ids from a variable's default: 3 + 4 (real 3: Ron is in already)",
      query: `mutation ($ids: [ID!]! = ["${ron.id}", "${andy.id}", "${tom.id}"]) { ensureAccountMemberships(accountId: "${acme.id}", accountMemberIds: $ids) { ... on EnsuredAccountMemberships { created } } }`,
      calls: 7,
    },
    {
      name: 'a bulk ensure of one id given as a single value: 1 + 2 (real 1)',
      query: `mutation ($ids: [ID!]!) { ensureAccountMemberships(accountId: "${acme.id}", accountMemberIds: $ids) { ... on EnsuredAccountMemberships { created } } }`,
      variables: { ids: ron.id },
      calls: 3,
    },
    {
      name: 'a bulk ensure of 10 ids reads at most the 10 pages of a full account: 10 + 10 (real 11: a page and 10 writes that find no member)',
      query: `mutation ($ids: [ID!]!) { ensureAccountMemberships(accountId: "${acme.id}", accountMemberIds: $ids) { ... on EnsuredAccountMemberships { failed } } }`,
      variables: { ids: Array.from({ length: 10 }, (_, index) => nobody(index)) },
      calls: 20,
    },
    {
      name: 'a bulk ensure of no ids is refused before any call (real 0)',
      query: `mutation { ensureAccountMemberships(accountId: "${acme.id}", accountMemberIds: []) { __typename } }`,
      calls: 0,
    },
    {
      name: 'a bulk ensure of 101 ids is refused before any call (real 0)',
      query: `mutation ($ids: [ID!]!) { ensureAccountMemberships(accountId: "${acme.id}", accountMemberIds: $ids) { __typename } }`,
      variables: { ids: Array.from({ length: 101 }, (_, index) => nobody(index)) },
      calls: 0,
    },
    {
      name: 'a bulk ensure listing an id twice is refused before any call (real 0)',
      query: `mutation { ensureAccountMemberships(accountId: "${acme.id}", accountMemberIds: ["${ron.id}", "${ron.id}"]) { __typename } }`,
      calls: 0,
    },
    {
      name: 'a bulk ensure of an id that is no UUID is refused before any call (real 0)',
      query: `mutation { ensureAccountMemberships(accountId: "${acme.id}", accountMemberIds: ["ron"]) { __typename } }`,
      calls: 0,
    },
    {
      name: 'a delete is its write (real 1)',
      query: `mutation { deleteAccountMembership(accountId: "${acme.id}", id: "${acmeLeslie.id}") { ... on DeletedAccountMembership { id accountId } } }`,
      calls: 1,
    },
    {
      name: 'the root fields of a mutation add up (real 2)',
      query: `mutation { deleteAccountMembership(accountId: "${acme.id}", id: "${acmeLeslie.id}") { __typename } createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { __typename } }`,
      calls: 2,
    },
  ],
  federation: [
    {
      name: 'member representations are deduplicated: two distinct, a call each, or batched 1 + a lookup each (real 2, batched 1)',
      query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on AccountMember { name } } }',
      variables: {
        representations: [
          { __typename: 'AccountMember', id: ron.id },
          { __typename: 'AccountMember', id: ron.id },
          { __typename: 'AccountMember', id: leslie.id },
        ],
      },
      calls: 2,
      batched: 3,
    },
    {
      name: 'one member representation, with nothing to batch it with, is one call (real 1)',
      query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on AccountMember { name } } }',
      variables: { representations: [{ __typename: 'AccountMember', id: ron.id }] },
      calls: 1,
    },
    {
      name: 'a single representation given for the list is a list of one (real 1)',
      query: `{ _entities(representations: { __typename: "AccountMember", id: "${ron.id}" }) { ... on AccountMember { name } } }`,
      calls: 1,
    },
    {
      name: 'representations of no entity type, or with no typename, cost nothing (real 0)',
      query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }',
      variables: {
        representations: [{ __typename: 'Nope', id: ron.id }, { __typename: 'PageInfo', id: ron.id }, { id: ron.id }, { __typename: 7 }],
      },
      calls: 0,
    },
    {
      name: 'representations refused as null cost nothing (real 0)',
      query: `query ($representations: [_Any!] = [{ __typename: "AccountMember", id: "${ron.id}" }]) { _entities(representations: $representations) { __typename } }`,
      variables: { representations: null },
      calls: 0,
    },
    {
      name: 'memberships are told apart by account and id, one call each, with their fields at hand (real 2)',
      query:
        'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on AccountMembership { createdAt } } }',
      variables: {
        representations: [
          { __typename: 'AccountMembership', accountId: acme.id, id: acmeRon.id },
          { __typename: 'AccountMembership', accountId: acme.id, id: acmeRon.id },
          { __typename: 'AccountMembership', accountId: acmeEurope.id, id: acmeRon.id },
        ],
      },
      calls: 2,
    },
    {
      name: 'memberships by reference then read their members: 2 + 2, or 2 + 1 batched (real 2 + 2, batched 2 + 1)',
      query:
        'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on AccountMembership { accountMember { name } } } }',
      variables: {
        representations: [
          { __typename: 'AccountMembership', accountId: acme.id, id: acmeRon.id },
          { __typename: 'AccountMembership', accountId: acme.id, id: acmeLeslie.id },
        ],
      },
      calls: 4,
      batched: 3,
    },
    {
      name: 'an account and a member by reference are one lookup each, no batch together (real 2)',
      query:
        'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Account { accountName: name } ... on AccountMember { name } } }',
      variables: {
        representations: [
          { __typename: 'Account', id: acme.id },
          { __typename: 'AccountMember', id: ron.id },
        ],
      },
      calls: 2,
    },
    {
      name: 'an account by reference then selects its page (real 2)',
      query:
        'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on _Entity { ... on Account { memberships(first: 3) { totalCount } } } } }',
      variables: { representations: [{ __typename: 'Account', id: acme.id }] },
      calls: 2,
    },
  ],
  'unions and interfaces': [
    {
      name: 'a write result counts its membership member; its error members cost nothing (real 2)',
      query: `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { __typename ... on AccountMembership { accountMember { name } } ... on Error { message } ... on MembershipLimitReachedError { limit } } }`,
      calls: 2,
    },
    {
      name: 'a write result selecting only its errors is its write (real 1)',
      query: `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { ... on Error { message } ... on NotFoundError { resource } } }`,
      calls: 1,
    },
    {
      name: 'an ensure result selecting only its errors is its write and its lookup (real 2)',
      query: `mutation { ensureAccountMembership(accountId: "${acme.id}", accountMemberId: "${ron.id}") { ... on ValidationError { field } ... on Error { message } } }`,
      calls: 2,
    },
  ],
  'what execution selects': [
    {
      name: '@skip(if: true) leaves the field out (real 0)',
      query: `{ accountMember(id: "${ron.id}") @skip(if: true) { name } }`,
      calls: 0,
    },
    {
      name: '@include(if: false) leaves the field out (real 0)',
      query: `{ accountMember(id: "${ron.id}") @include(if: false) { name } }`,
      calls: 0,
    },
    {
      name: "@include on a variable's default true keeps the field (real 1)",
      query: `query ($on: Boolean = true) { accountMember(id: "${ron.id}") @include(if: $on) { name } }`,
      calls: 1,
    },
    {
      name: '@include on a variable given false leaves the field out (real 0)',
      query: `query ($on: Boolean = true) { accountMember(id: "${ron.id}") @include(if: $on) { name } }`,
      variables: { on: false },
      calls: 0,
    },
    {
      name: '@skip on a variable given false keeps the field (real 1)',
      query: `query ($off: Boolean!) { accountMember(id: "${ron.id}") @skip(if: $off) { name } }`,
      variables: { off: false },
      calls: 1,
    },
    {
      name: '@skip on a fragment spread leaves its fields out (real 1)',
      query: `{ accountMember(id: "${ron.id}") { ...Pages @skip(if: true) } } fragment Pages on AccountMember { memberships { totalCount } }`,
      calls: 1,
    },
    {
      name: '@include(if: false) on an inline fragment leaves its fields out (real 1)',
      query: '{ accountMembers(first: 4) { edges { node { ... @include(if: false) { memberships { totalCount } } } } } }',
      calls: 1,
    },
    {
      name: 'a named fragment counts what it selects: 1 + 4 (real 5)',
      query: `{ accountMembers(first: 4) { ...Page } } fragment Page on AccountMemberConnection { ${MEMBER_PAGES} }`,
      calls: 5,
    },
    {
      name: 'a fragment spread twice counts once (real 5)',
      query: `{ accountMembers(first: 4) { ...Page ...Page edges { node { ...Page2 } } } } fragment Page on AccountMemberConnection { ${MEMBER_PAGES} } fragment Page2 on AccountMember { memberships { totalCount } }`,
      calls: 5,
    },
    {
      name: 'a fragment under two aliases counts under each: 2 lookups + 2 pages (real 4, batched 3: 2 more for the lookups a batch may not return)',
      query: `{ a: accountMember(id: "${ron.id}") { ...Pages } b: accountMember(id: "${leslie.id}") { ...Pages } } fragment Pages on AccountMember { memberships(first: 2) { totalCount } }`,
      calls: 4,
      batched: 6,
    },
    {
      name: 'an inline fragment without a type counts what it selects (real 2)',
      query: `{ accountMember(id: "${ron.id}") { ... { memberships { totalCount } } } }`,
      calls: 2,
    },
    {
      name: 'fields under one response key run once (real 1)',
      query: `{ accountMember(id: "${ron.id}") { name } accountMember(id: "${ron.id}") { email } }`,
      calls: 1,
    },
    {
      name: 'pages under one response key run once, what both select counted: 1 + 2 (real 3)',
      query: `{ accountMembers(first: 2) { edges { node { id } } } accountMembers(first: 2) { ${MEMBER_PAGES} } }`,
      calls: 3,
    },
    {
      name: 'the same lookup under two aliases counts twice (real 1: the loader reads it once)',
      query: `{ a: accountMember(id: "${ron.id}") { name } b: accountMember(id: "${ron.id}") { name } }`,
      calls: 2,
      batched: 4,
    },
    {
      name: '__typename costs nothing (real 0)',
      query: '{ __typename }',
      calls: 0,
    },
    {
      name: 'introspection costs nothing (real 0)',
      query: '{ __schema { queryType { name } } __type(name: "Account") { fields { name } } }',
      calls: 0,
    },
    {
      name: "federation's _service costs nothing (real 0)",
      query: '{ _service { sdl } }',
      calls: 0,
    },
    {
      name: '__typename inside a page adds nothing to it (real 1)',
      query: '{ accountMembers(first: 5) { __typename edges { node { __typename } } } }',
      calls: 1,
    },
  ],
};

const OPERATIONS = `
  query One { accountMember(id: "${ron.id}") { name } }
  query Two { accountMembers(first: 3) { ${MEMBER_PAGES} } }
  mutation Three { deleteAccountMembership(accountId: "${acme.id}", id: "${acmeLeslie.id}") { __typename } }
`;

GROUPS['the operation named'] = [
  { name: 'One: a lookup (real 1)', query: OPERATIONS, operationName: 'One', calls: 1 },
  { name: "Two: a page and its nodes' pages, 1 + 3 (real 4)", query: OPERATIONS, operationName: 'Two', calls: 4 },
  { name: 'Three: a delete (real 1)', query: OPERATIONS, operationName: 'Three', calls: 1 },
  { name: 'none of several (real 0)', query: OPERATIONS, calls: 0 },
  { name: 'a single operation, chosen without a name (real 1)', query: `query One { accountMember(id: "${ron.id}") { name } }`, calls: 1 },
];

for (const [group, cases] of Object.entries(GROUPS)) {
  describe(`the estimate: ${group}`, () => {
    it.each(cases)('$name', (operation) => {
      expect(estimate(operation, ONE_BY_ONE)).toBe(operation.calls);
      expect(estimate(operation, BATCHED)).toBe(operation.batched ?? operation.calls);
    });
  });
}

describe('the settings the estimate reads', () => {
  const fiveMembers = GROUPS['batches and named ids']?.find((operation) =>
    operation.name.startsWith('members read for a bulk write'),
  ) as Case;

  it('reads members one by one by default: N members cost N reads', () => {
    expect(ONE_BY_ONE.epMemberBatchLookup).toBe(false);
    expect(estimate(fiveMembers, ONE_BY_ONE)).toBe(11 + 5);
  });

  it('reads members in batches with EP_MEMBER_BATCH_LOOKUP: N members cost ⌈N/100⌉ reads', () => {
    expect(estimate(fiveMembers, BATCHED)).toBe(11 + 1);
  });

  it('reads accounts in batches whatever the member setting says', () => {
    const accounts: Case = {
      name: 'five named accounts',
      query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Account { name } } }',
      variables: { representations: accountIds(5).map((id) => ({ __typename: 'Account', id })) },
      calls: 1 + 5,
    };
    expect(estimate(accounts, ONE_BY_ONE)).toBe(6);
    expect(estimate(accounts, BATCHED)).toBe(6);
  });
});
