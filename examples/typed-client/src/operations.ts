/**
 * The operations this client sends. Each `graphql(…)` is typed by `npm run codegen` from the
 * gateway's SDL and listed, with its hash, in `src/gql/persisted-documents.json`.
 */
import { graphql } from './gql/gql.js';

/** Every member of the result union is selected, so `describeAddMember` must handle each. */
export const AddMember = graphql(`
  mutation AddMember($accountId: ID!, $accountMemberId: ID!) {
    createAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {
      __typename
      ... on AccountMembership {
        id
        accountId
        accountMember { id name email }
      }
      ... on MembershipAlreadyExistsError { message }
      ... on MembershipLimitReachedError { limit message }
      ... on NotFoundError { resource message }
      ... on ValidationError { field message }
    }
  }
`);

export const AccountMembershipsPage = graphql(`
  query AccountMembershipsPage($accountId: ID!, $first: Int!, $after: String) {
    accountMemberships(accountId: $accountId, first: $first, after: $after) {
      totalCount
      edges {
        node {
          id
          accountMember { id name }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
