/**
 * A preflight that CORS did not answer (CORS off, or an origin not listed) gets 204 with no
 * access-control headers, which tells the browser no, instead of going on to be refused as a
 * request without a CSRF header. Like an allowed preflight, it writes no access-log line.
 */
import type { Plugin } from 'graphql-yoga';

export function usePreflightRefusal(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== 'OPTIONS') return;
      endResponse(new fetchAPI.Response(null, { status: 204, headers: { allow: 'GET, POST, OPTIONS' } }));
    },
  };
}
