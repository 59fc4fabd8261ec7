/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query AccountMember($id: ID!) {\n  accountMember(id: $id) {\n    id\n    name\n    email\n    givenName\n    familyName\n    createdAt\n  }\n}\n\nquery SameMemberThrice($id: ID!) {\n  first: accountMember(id: $id) {\n    name\n  }\n  second: accountMember(id: $id) {\n    email\n  }\n  third: accountMember(id: $id) {\n    id\n    name\n  }\n}": typeof types.AccountMemberDocument,
    "mutation CreateAccountMembership($accountId: ID!, $accountMemberId: ID!) {\n  createAccountMembership(\n    accountId: $accountId\n    accountMemberId: $accountMemberId\n  ) {\n    __typename\n    ... on AccountMembership {\n      id\n      accountId\n      createdAt\n      updatedAt\n      accountMember {\n        id\n        name\n        email\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on NotFoundError {\n      resource\n    }\n    ... on MembershipLimitReachedError {\n      limit\n    }\n  }\n}\n\nmutation CreateAccountMembershipMemberIdOnly($accountId: ID!, $accountMemberId: ID!) {\n  createAccountMembership(\n    accountId: $accountId\n    accountMemberId: $accountMemberId\n  ) {\n    __typename\n    ... on AccountMembership {\n      id\n      accountMember {\n        id\n      }\n    }\n  }\n}": typeof types.CreateAccountMembershipDocument,
};
const documents: Documents = {
    "query AccountMember($id: ID!) {\n  accountMember(id: $id) {\n    id\n    name\n    email\n    givenName\n    familyName\n    createdAt\n  }\n}\n\nquery SameMemberThrice($id: ID!) {\n  first: accountMember(id: $id) {\n    name\n  }\n  second: accountMember(id: $id) {\n    email\n  }\n  third: accountMember(id: $id) {\n    id\n    name\n  }\n}": types.AccountMemberDocument,
    "mutation CreateAccountMembership($accountId: ID!, $accountMemberId: ID!) {\n  createAccountMembership(\n    accountId: $accountId\n    accountMemberId: $accountMemberId\n  ) {\n    __typename\n    ... on AccountMembership {\n      id\n      accountId\n      createdAt\n      updatedAt\n      accountMember {\n        id\n        name\n        email\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on NotFoundError {\n      resource\n    }\n    ... on MembershipLimitReachedError {\n      limit\n    }\n  }\n}\n\nmutation CreateAccountMembershipMemberIdOnly($accountId: ID!, $accountMemberId: ID!) {\n  createAccountMembership(\n    accountId: $accountId\n    accountMemberId: $accountMemberId\n  ) {\n    __typename\n    ... on AccountMembership {\n      id\n      accountMember {\n        id\n      }\n    }\n  }\n}": types.CreateAccountMembershipDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AccountMember($id: ID!) {\n  accountMember(id: $id) {\n    id\n    name\n    email\n    givenName\n    familyName\n    createdAt\n  }\n}\n\nquery SameMemberThrice($id: ID!) {\n  first: accountMember(id: $id) {\n    name\n  }\n  second: accountMember(id: $id) {\n    email\n  }\n  third: accountMember(id: $id) {\n    id\n    name\n  }\n}"): (typeof documents)["query AccountMember($id: ID!) {\n  accountMember(id: $id) {\n    id\n    name\n    email\n    givenName\n    familyName\n    createdAt\n  }\n}\n\nquery SameMemberThrice($id: ID!) {\n  first: accountMember(id: $id) {\n    name\n  }\n  second: accountMember(id: $id) {\n    email\n  }\n  third: accountMember(id: $id) {\n    id\n    name\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateAccountMembership($accountId: ID!, $accountMemberId: ID!) {\n  createAccountMembership(\n    accountId: $accountId\n    accountMemberId: $accountMemberId\n  ) {\n    __typename\n    ... on AccountMembership {\n      id\n      accountId\n      createdAt\n      updatedAt\n      accountMember {\n        id\n        name\n        email\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on NotFoundError {\n      resource\n    }\n    ... on MembershipLimitReachedError {\n      limit\n    }\n  }\n}\n\nmutation CreateAccountMembershipMemberIdOnly($accountId: ID!, $accountMemberId: ID!) {\n  createAccountMembership(\n    accountId: $accountId\n    accountMemberId: $accountMemberId\n  ) {\n    __typename\n    ... on AccountMembership {\n      id\n      accountMember {\n        id\n      }\n    }\n  }\n}"): (typeof documents)["mutation CreateAccountMembership($accountId: ID!, $accountMemberId: ID!) {\n  createAccountMembership(\n    accountId: $accountId\n    accountMemberId: $accountMemberId\n  ) {\n    __typename\n    ... on AccountMembership {\n      id\n      accountId\n      createdAt\n      updatedAt\n      accountMember {\n        id\n        name\n        email\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on ValidationError {\n      field\n    }\n    ... on NotFoundError {\n      resource\n    }\n    ... on MembershipLimitReachedError {\n      limit\n    }\n  }\n}\n\nmutation CreateAccountMembershipMemberIdOnly($accountId: ID!, $accountMemberId: ID!) {\n  createAccountMembership(\n    accountId: $accountId\n    accountMemberId: $accountMemberId\n  ) {\n    __typename\n    ... on AccountMembership {\n      id\n      accountMember {\n        id\n      }\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;