/** The checked-in SDL is the printed schema; the contract's names and shapes hold. */
import { readFile } from 'node:fs/promises';
import { buildSchema, type GraphQLObjectType, type GraphQLUnionType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printPublicSchema, printSubgraphSdl } from '../../src/schema/sdl.js';

describe('schema/schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema:print` after changing it)', async () => {
    const checkedIn = await readFile(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn, 'schema/schema.graphql is out of date: run `npm run schema:print`').toBe(printPublicSchema());
  });

  it('has an up-to-date schema/subgraph.graphql (run `npm run schema:print` after changing it)', async () => {
    const checkedIn = await readFile(new URL('../../schema/subgraph.graphql', import.meta.url), 'utf8');
    expect(checkedIn, 'schema/subgraph.graphql is out of date: run `npm run schema:print`').toBe(printSubgraphSdl());
    expect(checkedIn).toContain('@link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])');
  });

  it('keeps the public contract of createAccountMembership and accountMember', () => {
    const schema = buildSchema(printPublicSchema());
    const create = schema.getMutationType()?.getFields().createAccountMembership;
    expect(String(create?.type)).toBe('CreateAccountMembershipResult!');
    expect(create?.args.map((arg) => `${arg.name}: ${String(arg.type)}`)).toEqual(['accountId: ID!', 'accountMemberId: ID!']);
    const union = schema.getType('CreateAccountMembershipResult') as GraphQLUnionType;
    expect(union.getTypes().map(String).sort()).toEqual([
      'AccountMembership',
      'MembershipAlreadyExistsError',
      'MembershipLimitReachedError',
      'NotFoundError',
      'ValidationError',
    ]);
    const member = schema.getQueryType()?.getFields().accountMember;
    expect(String(member?.type)).toBe('AccountMember');
    const membership = schema.getType('AccountMembership') as GraphQLObjectType;
    expect(Object.fromEntries(Object.values(membership.getFields()).map((f) => [f.name, String(f.type)]))).toMatchObject({
      id: 'ID!',
      accountId: 'ID!',
      accountMember: 'AccountMember!',
      createdAt: 'DateTime!',
      updatedAt: 'DateTime!',
    });
  });
});
