/**
 * GET answers are what HTTP caches keep (a CDN in front of persisted queries). One that used a
 * token is that caller's alone: `Cache-Control: private, no-store`. Every GET answer from
 * /graphql also names what it depends on in `Vary`: the credentials, and the Origin that CORS reads.
 */
import type { Plugin } from 'graphql-yoga';
import { GRAPHQL_PATH } from '../http/paths.js';

/** The request headers whose value changes an answer: the credentials (and Origin, with CORS on). */
const CREDENTIAL_HEADERS = ['authorization', 'ep-account-management-authentication-token'];

export function usePrivateAnswers(corsOff: boolean): Plugin {
  const dependsOn = corsOff ? CREDENTIAL_HEADERS : [...CREDENTIAL_HEADERS, 'origin'];
  return {
    onResponse({ request, response }) {
      if (request.method !== 'GET' || !request.url.includes(GRAPHQL_PATH)) return;
      if (CREDENTIAL_HEADERS.some((name) => request.headers.has(name))) response.headers.set('cache-control', 'private, no-store');
      const vary = new Set(
        (response.headers.get('vary') ?? '')
          .split(',')
          .map((name) => name.trim().toLowerCase())
          .filter(Boolean),
      );
      for (const name of dependsOn) vary.add(name);
      response.headers.set('vary', [...vary].join(', '));
    },
  };
}
