/**
 * The gateway's own Elastic Path token (EP_CLIENT_ID and EP_CLIENT_SECRET): a client_credentials
 * grant, `POST /oauth/access_token` on the upstream origin with a form-encoded body, as Elastic
 * Path documents it. The token is kept until shortly before it expires (a tenth of its life, at
 * most a minute, early), and one request fetches it however many lookups wait for it.
 *
 * It is handed only to the event bus's routing lookup (`events/lookup-account.ts`); no caller's
 * request ever sees it, and neither it nor the secret is ever logged or put in an error.
 */
import { request } from 'undici';
import { isObject } from './json.js';

export interface ClientCredentialsSettings {
  /** EP_API_BASE_URL: the token endpoint is on the same origin (and path prefix). */
  epApiBaseUrl: string;
  /** EP_API_TIMEOUT_MS: for connecting, the answer's head and its body each. */
  epApiTimeoutMs: number;
  clientId: string;
  clientSecret: string;
}

export interface GatewayToken {
  /** `Bearer …` for the gateway's own calls; fetched (again) when none is held or it is about to expire. */
  authorization(): Promise<string>;
  /** Elastic Path refused the token (401): the next call fetches a new one. */
  forget(): void;
}

/** Token answers are a few hundred bytes; anything far larger is not one. */
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

export function createGatewayToken(settings: ClientCredentialsSettings, now: () => number = Date.now): GatewayToken {
  const url = new URL(settings.epApiBaseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/oauth/access_token`;
  url.search = '';
  let held: { authorization: string; refreshAt: number } | undefined;
  let fetching: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const started = now();
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: settings.clientId,
        client_secret: settings.clientSecret,
      }).toString(),
      headersTimeout: settings.epApiTimeoutMs,
      bodyTimeout: settings.epApiTimeoutMs,
      signal: AbortSignal.timeout(settings.epApiTimeoutMs * 2),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_TOKEN_RESPONSE_BYTES) {
        response.body.destroy();
        throw new Error('Elastic Path answered the token request with an oversized body');
      }
      chunks.push(chunk);
    }
    if (response.statusCode !== 200) throw new Error(`Elastic Path refused the gateway's client credentials (HTTP ${response.statusCode})`);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = undefined;
    }
    if (!isObject(body) || typeof body.access_token !== 'string' || body.access_token === '' || typeof body.expires_in !== 'number') {
      throw new Error('Elastic Path answered the token request without access_token and expires_in');
    }
    const lifetimeMs = Math.max(0, body.expires_in * 1000);
    held = { authorization: `Bearer ${body.access_token}`, refreshAt: started + lifetimeMs - Math.min(60_000, lifetimeMs / 10) };
    return held.authorization;
  }

  return {
    authorization() {
      if (held && now() < held.refreshAt) return Promise.resolve(held.authorization);
      fetching ??= fetchToken().finally(() => (fetching = undefined));
      return fetching;
    },
    forget() {
      held = undefined;
    },
  };
}
