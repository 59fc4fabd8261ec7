/**
 * Which trusted document a request names, the one rule for both places that read it (the trusted
 * documents list, which checks it, and the request records, which log it): the GraphQL-over-HTTP
 * `documentId` (in a GET, from the query string, which Yoga's parser does not keep) and Apollo's
 * `extensions.persistedQuery.sha256Hash`, each with or without a `sha256:` prefix.
 */
import type { GraphQLParams } from 'graphql-yoga';

/** Every id the request names, as sent (not yet checked to be strings). */
export function namedDocumentIds(params: GraphQLParams, request: Request): unknown[] {
  const named: unknown[] = [];
  const documentId = (params as { documentId?: unknown }).documentId;
  if (documentId != null) named.push(documentId);
  if (request.method === 'GET' && request.url.includes('documentId=')) {
    const fromUrl = new URL(request.url).searchParams.get('documentId');
    if (fromUrl !== null) named.push(fromUrl);
  }
  const persistedQuery = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  if (persistedQuery != null) named.push(persistedQuery.sha256Hash);
  return named;
}

/** An id without its optional `sha256:` prefix, as the lists key it. */
export const normalDocumentId = (id: string): string => id.replace(/^sha256:/i, '');
