/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AddMemberMutationVariables = Exact<{
  accountId: string;
  accountMemberId: string;
}>;


export type AddMemberMutation = { createAccountMembership:
    | { __typename: 'AccountMembership', id: string, accountId: string, accountMember: { id: string, name: string | null, email: string | null } }
    | { __typename: 'MembershipAlreadyExistsError', message: string }
    | { __typename: 'MembershipLimitReachedError', limit: number, message: string }
    | { __typename: 'NotFoundError', resource: string, message: string }
    | { __typename: 'ValidationError', field: string | null, message: string }
   };

export type AccountMembershipsPageQueryVariables = Exact<{
  accountId: string;
  first: number;
  after?: string | null | undefined;
}>;


export type AccountMembershipsPageQuery = { accountMemberships: { totalCount: number, edges: Array<{ node: { id: string, accountMember: { id: string, name: string | null } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const AddMemberDocument = new TypedDocumentString(`
    mutation AddMember($accountId: ID!, $accountMemberId: ID!) {
  createAccountMembership(
    accountId: $accountId
    accountMemberId: $accountMemberId
  ) {
    __typename
    ... on AccountMembership {
      id
      accountId
      accountMember {
        id
        name
        email
      }
    }
    ... on MembershipAlreadyExistsError {
      message
    }
    ... on MembershipLimitReachedError {
      limit
      message
    }
    ... on NotFoundError {
      resource
      message
    }
    ... on ValidationError {
      field
      message
    }
  }
}
    `, {"hash":"sha256:0272f84822f10bacb3a34aa26f7dd74b3cc564a4a38b8ec366cbb5d721159e0b"}) as unknown as TypedDocumentString<AddMemberMutation, AddMemberMutationVariables>;
export const AccountMembershipsPageDocument = new TypedDocumentString(`
    query AccountMembershipsPage($accountId: ID!, $first: Int!, $after: String) {
  accountMemberships(accountId: $accountId, first: $first, after: $after) {
    totalCount
    edges {
      node {
        id
        accountMember {
          id
          name
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `, {"hash":"sha256:e1ef9c8d11cb476ac097b7f2579c7d55d81534e54283284733099025aca5add0"}) as unknown as TypedDocumentString<AccountMembershipsPageQuery, AccountMembershipsPageQueryVariables>;