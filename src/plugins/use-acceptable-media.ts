/**
 * Refuses a request to /graphql whose `Accept` no answer can satisfy before it runs, not after.
 *
 * Yoga picks the media type of an answer once the result exists, and answers 406 when none fits:
 * by then a mutation has already reached Elastic Path, and the caller, told only "Not Acceptable",
 * cannot know that the write happened. This plugin applies Yoga's own matching to the request
 * first and gives the same 406 (the same `accept` header listing what would have fitted) without
 * running anything, and records it as NOT_ACCEPTABLE for the access log and the metrics. A GET
 * for HTML stays with Yoga while GraphiQL is on: GraphiQL answers it.
 */
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../domain/errors.js';
import { RESULT_MEDIA_TYPES } from '../http/media-types.js';
import { GRAPHQL_PATH } from '../http/paths.js';
import { recordOf } from '../observability/records.js';

export function useAcceptableMedia(graphiql: boolean): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'POST' && request.method !== 'GET') return;
      const accept = request.headers.get('accept');
      if (request.method === 'GET' && graphiql && accept?.includes('text/html')) return;
      const asked = requestedMediaTypes(accept);
      const offered: string[] = [];
      let acceptable = false;
      for (const mediaTypes of RESULT_MEDIA_TYPES) {
        for (const requested of asked) {
          for (const mediaType of mediaTypes) {
            offered.push(mediaType);
            if (matches(mediaType, requested)) acceptable = true;
          }
        }
      }
      // Other paths are Yoga's to answer (404); reading `url` parses it, so only when refusing.
      if (acceptable || (url.pathname !== GRAPHQL_PATH && url.pathname !== `${GRAPHQL_PATH}/`)) return;
      recordOf(request)?.requestCodes.push(ErrorCode.NOT_ACCEPTABLE);
      endResponse(
        new fetchAPI.Response(null, {
          status: 406,
          statusText: 'Not Acceptable',
          headers: { accept: offered.join('; charset=utf-8, ') },
        }),
      );
    },
  };
}

/** The `Accept` header's media types as Yoga reads them: no parameters, only utf-8, last first. */
function requestedMediaTypes(accept: string | null): string[] {
  const mediaTypes: string[] = [];
  for (const entry of (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const [mediaType, ...params] = entry.split(';');
    if (mediaType === undefined) continue;
    const charset = params.find((param) => param.includes('charset=')) ?? 'charset=utf-8';
    if (charset === 'charset=utf-8') mediaTypes.push(mediaType);
  }
  return mediaTypes.reverse();
}

/** Yoga's rule: the requested type and subtype each match exactly or by `*`. */
function matches(offered: string, requested: string): boolean {
  const [offeredType, offeredSubtype] = offered.split('/');
  const [type, subtype] = requested.split('/');
  return (type === '*' || type === offeredType) && (subtype === '*' || subtype === offeredSubtype);
}
