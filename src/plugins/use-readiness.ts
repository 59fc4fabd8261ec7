/**
 * `/readiness`: 200 only while serving; 503 while starting or draining. With
 * READINESS_FOLLOWS_BREAKER, also 503 while the upstream breaker is open.
 *
 * Not Yoga's `useReadinessCheck`: for every request whose URL does not end with its endpoint (a
 * GraphQL POST with a query string, or any other), it parses the URL and tests a URLPattern,
 * which each GraphQL request would pay for. This tests a string first.
 */
import type { Plugin } from 'graphql-yoga';
import type { UpstreamClient } from '../upstream/client.js';
import { READINESS_PATH } from '../http/paths.js';

/** Where the process is in its life; `/readiness` answers 200 only while 'ready'. */
export interface Lifecycle {
  state: 'starting' | 'ready' | 'draining';
}

export function useReadiness(lifecycle: Lifecycle, breakerOf: UpstreamClient | undefined): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      // The string test first: reading `url` parses the request's URL, on every request.
      if (!request.url.includes(READINESS_PATH) || url.pathname !== READINESS_PATH) return;
      const breaker = breakerOf?.stats().breaker;
      const ready = lifecycle.state === 'ready' && breaker !== 'open';
      endResponse(
        new fetchAPI.Response(JSON.stringify({ ready, state: lifecycle.state, ...(breaker && { upstream: breaker }) }), {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        }),
      );
    },
  };
}
