/**
 * Tokens the emulator has issued, and who may call what with them (EP-BEHAVIOUR: a
 * client_credentials token reads and writes everything; an implicit token reads the memberships
 * of one account only together with that account's Account Management token).
 */
import { randomBytes } from 'node:crypto';
import { forbidden, invalidAccessToken } from './errors.js';

export type TokenKind = 'client_credentials' | 'implicit';

/**
 * - `public`: no token needed;
 * - `client`: a client_credentials token;
 * - `account-reader`: a client_credentials token, or an implicit token with an Account
 *   Management token for the account in the path.
 */
export type Access = 'public' | 'client' | 'account-reader';

/** Elastic Path's access tokens last an hour; `EMULATOR_TOKEN_LIFETIME_S` changes it (tests). */
const ACCESS_TOKEN_LIFETIME_S = 3600;
const ACCOUNT_TOKEN_LIFETIME_S = 86_400;
/** Pruning expired tokens every so many issues keeps a long-running emulator's memory flat. */
const PRUNE_EVERY = 1024;

const ACCOUNT_TOKEN_HEADER = 'ep-account-management-authentication-token';

export interface IssuedToken {
  readonly accessToken: string;
  readonly kind: TokenKind;
  /** Epoch seconds (Infinity for a token that does not expire). */
  readonly expires: number;
  /** Seconds from now (Infinity for a token that does not expire). */
  readonly expiresIn: number;
}

interface Grant<T> {
  readonly value: T;
  readonly expiresAtMs: number;
}

export class TokenRegistry {
  private readonly accessTokens = new Map<string, Grant<TokenKind>>();
  private readonly accountTokens = new Map<string, Grant<string>>();
  private issued = 0;

  constructor(private readonly accessTokenLifetimeS = ACCESS_TOKEN_LIFETIME_S) {}

  /** `expires: false` issues a token that lasts as long as the emulator (`npm run dev`'s session). */
  issue(kind: TokenKind, { expires = true }: { expires?: boolean } = {}): IssuedToken {
    const accessToken = randomBytes(20).toString('hex');
    const lifetimeS = expires ? this.accessTokenLifetimeS : Infinity;
    const expiresAtMs = this.remember(this.accessTokens, accessToken, kind, lifetimeS);
    return { accessToken, kind, expires: Math.floor(expiresAtMs / 1000), expiresIn: lifetimeS };
  }

  issueAccountToken(accountId: string): string {
    const token = randomBytes(32).toString('base64url');
    this.remember(this.accountTokens, token, accountId, ACCOUNT_TOKEN_LIFETIME_S);
    return token;
  }

  /** Throws 401 or 403 unless the request's headers grant `access` (to `accountId`, if any). */
  authorize(access: Access, headers: Readonly<Record<string, string>>, accountId: string | undefined): void {
    if (access === 'public') return;
    const kind = this.lookUp(this.accessTokens, bearerToken(headers.authorization));
    if (kind === undefined) throw invalidAccessToken();
    if (kind === 'client_credentials') return;
    if (access === 'account-reader' && accountId !== undefined) {
      const tokenAccount = this.lookUp(this.accountTokens, headers[ACCOUNT_TOKEN_HEADER]);
      if (tokenAccount?.toLowerCase() === accountId.toLowerCase()) return;
    }
    throw forbidden();
  }

  private remember<T>(tokens: Map<string, Grant<T>>, token: string, value: T, lifetimeS: number): number {
    if (++this.issued % PRUNE_EVERY === 0) this.pruneExpired();
    const expiresAtMs = Date.now() + lifetimeS * 1000;
    tokens.set(token, { value, expiresAtMs });
    return expiresAtMs;
  }

  private lookUp<T>(tokens: Map<string, Grant<T>>, token: string | undefined): T | undefined {
    if (token === undefined) return undefined;
    const grant = tokens.get(token);
    if (grant === undefined) return undefined;
    if (Date.now() >= grant.expiresAtMs) {
      tokens.delete(token);
      return undefined;
    }
    return grant.value;
  }

  private pruneExpired(): void {
    const now = Date.now();
    for (const tokens of [this.accessTokens, this.accountTokens] as Map<string, Grant<unknown>>[]) {
      for (const [token, grant] of tokens) {
        if (now >= grant.expiresAtMs) tokens.delete(token);
      }
    }
  }
}

function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^Bearer +(\S+) *$/i.exec(authorization);
  return match?.[1];
}
