/* eslint-disable */
import * as types from './graphql.js';



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
    "\n  mutation AddMember($accountId: ID!, $accountMemberId: ID!) {\n    createAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {\n      __typename\n      ... on AccountMembership {\n        id\n        accountId\n        accountMember { id name email }\n      }\n      ... on MembershipAlreadyExistsError { message }\n      ... on MembershipLimitReachedError { limit message }\n      ... on NotFoundError { resource message }\n      ... on ValidationError { field message }\n    }\n  }\n": typeof types.AddMemberDocument,
    "\n  query AccountMembershipsPage($accountId: ID!, $first: Int!, $after: String) {\n    accountMemberships(accountId: $accountId, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          accountMember { id name }\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AccountMembershipsPageDocument,
};
const documents: Documents = {
    "\n  mutation AddMember($accountId: ID!, $accountMemberId: ID!) {\n    createAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {\n      __typename\n      ... on AccountMembership {\n        id\n        accountId\n        accountMember { id name email }\n      }\n      ... on MembershipAlreadyExistsError { message }\n      ... on MembershipLimitReachedError { limit message }\n      ... on NotFoundError { resource message }\n      ... on ValidationError { field message }\n    }\n  }\n": types.AddMemberDocument,
    "\n  query AccountMembershipsPage($accountId: ID!, $first: Int!, $after: String) {\n    accountMemberships(accountId: $accountId, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          accountMember { id name }\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AccountMembershipsPageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddMember($accountId: ID!, $accountMemberId: ID!) {\n    createAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {\n      __typename\n      ... on AccountMembership {\n        id\n        accountId\n        accountMember { id name email }\n      }\n      ... on MembershipAlreadyExistsError { message }\n      ... on MembershipLimitReachedError { limit message }\n      ... on NotFoundError { resource message }\n      ... on ValidationError { field message }\n    }\n  }\n"): typeof import('./graphql.js').AddMemberDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccountMembershipsPage($accountId: ID!, $first: Int!, $after: String) {\n    accountMemberships(accountId: $accountId, first: $first, after: $after) {\n      totalCount\n      edges {\n        node {\n          id\n          accountMember { id name }\n        }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): typeof import('./graphql.js').AccountMembershipsPageDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
