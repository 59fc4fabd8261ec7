/**
 * A small GraphQL-over-HTTP client for the gateway, as a frontend would write it: `fetch` only,
 * typed by the operations' generated `TypedDocumentString`s, sending the caller's own Elastic Path
 * token. Every failure is a `GatewayError` carrying the response's `x-request-id` (what a person
 * reporting a problem should quote) and the error's `extensions.code` (what code should branch on).
 * Expected failures of a mutation are not errors: they are members of its result union.
 */
import type { TypedDocumentString } from './gql/graphql.js';

export interface GatewayClientOptions {
  /** The gateway's GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  url: string;
  /** The caller's Elastic Path access token, sent as `Authorization: Bearer <token>`. */
  token: string;
  /**
   * Send each document's text beside its id. Keep it on until the gateway holds this build's
   * `persisted-documents.json` (it then runs the listed text whatever is sent); turn it off to
   * send only ids, as a gateway that enforces its list needs.
   * @default true
   */
  sendQueryText?: boolean;
}

export class GatewayError extends Error {
  constructor(
    message: string,
    /** The error's `extensions.code` (`UNAUTHENTICATED`, `RATE_LIMITED`, …), or `HTTP_<status>` without one. */
    readonly code: string,
    /** The response's `x-request-id`: quote it when reporting the problem. */
    readonly requestId: string | undefined,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; requestId?: string } }>;
}

export interface GatewayClient {
  /** The operation's data, or a `GatewayError` for any top-level error. */
  execute<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult>;
}

export function createGatewayClient({ url, token, sendQueryText = true }: GatewayClientOptions): GatewayClient {
  async function execute<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult> {
    const hash = document.__meta__?.hash as string | undefined;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${token.replace(/^Bearer\s+/i, '')}`,
      },
      body: JSON.stringify({
        // `sha256:<hex>`: how GraphQL over HTTP names a trusted document.
        documentId: hash,
        ...((sendQueryText || hash === undefined) && { query: document.toString() }),
        variables,
      }),
    });
    const requestId = response.headers.get('x-request-id') ?? undefined;
    let result: GraphQLResponse<TResult>;
    try {
      result = (await response.json()) as GraphQLResponse<TResult>;
    } catch {
      throw new GatewayError(
        `The gateway answered ${response.status} without a GraphQL result.`,
        `HTTP_${response.status}`,
        requestId,
        response.status,
      );
    }
    const [error] = result.errors ?? [];
    if (error) {
      const code = error.extensions?.code ?? `HTTP_${response.status}`;
      throw new GatewayError(error.message, code, error.extensions?.requestId ?? requestId, response.status);
    }
    if (result.data == null) {
      throw new GatewayError('The gateway answered without data.', `HTTP_${response.status}`, requestId, response.status);
    }
    return result.data;
  }
  return { execute };
}
