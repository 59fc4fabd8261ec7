/** What a route handler receives and returns. */
import type { TokenRegistry } from './auth.js';
import type { Integrations } from './integrations.js';
import type { RequestTarget } from './request-target.js';
import type { EmulatorStore } from './store.js';

export interface EmulatorSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly defaultPageLength: number;
}

export interface RequestContext {
  readonly target: RequestTarget;
  /** Decoded path parameters named in the route (`:accountId` → `accountId`). */
  readonly pathParams: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** `http://host[:port]` from the Host header: the origin of every link in the answer. */
  readonly origin: string;
  readonly store: EmulatorStore;
  readonly tokens: TokenRegistry;
  readonly settings: EmulatorSettings;
  /** Webhook integrations, told of every membership written through the API. */
  readonly integrations: Integrations;
}

export interface Reply {
  readonly status: number;
  /** JSON body; none for 204. */
  readonly body?: unknown;
}

export type Handler = (context: RequestContext) => Reply;

export function pathParam(context: RequestContext, name: string): string {
  const value = context.pathParams[name];
  if (value === undefined) throw new Error(`The route has no path parameter ':${name}'`);
  return value;
}
