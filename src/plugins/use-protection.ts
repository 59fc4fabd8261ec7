/**
 * Limits that keep one request from costing the gateway (or Elastic Path) more than it should:
 * document size and shape, CSRF, introspection and, optionally, an allow-list of trusted documents
 * (use-trusted-documents.ts). The mutation-field limit is its own plugin (use-mutation-field-limit.ts). Each limit is a setting (see `config.ts`) and fails
 * with a clear message.
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { ErrorCode } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import { trustedDocuments } from './use-trusted-documents.js';

export type ProtectionSettings = Pick<Config, 'maxDepth' | 'maxAliases' | 'maxTokens' | 'introspection' | 'trustedDocumentsMode'>;

/** `trusted`: the trusted documents list (read and checked at start), when there is one. */
export function protectionPlugins(
  settings: ProtectionSettings,
  logger: Logger,
  trusted: ReadonlyMap<string, string> | undefined,
): Plugin[] {
  const plugins: Plugin[] = [
    csrfPrevention(),
    EnvelopArmorPlugin({
      maxDepth: { n: settings.maxDepth, ignoreIntrospection: true, flattenFragments: true, exposeLimits: true, ...asValidationError },
      maxAliases: { n: settings.maxAliases, exposeLimits: true, ...asValidationError },
      maxTokens: { n: settings.maxTokens, exposeLimits: true },
      maxDirectives: { n: 50, exposeLimits: true, ...asValidationError },
      // Depth, aliases, tokens and the mutation limit already bound the work; Armor's generic cost
      // weights know nothing of which fields reach Elastic Path.
      costLimit: { enabled: false },
      blockFieldSuggestion: { enabled: !settings.introspection },
    }) as Plugin,
  ];
  if (!settings.introspection) {
    // `_service { sdl }` stays available for federation routers: it is a field, not introspection.
    plugins.push(useDisableIntrospection());
  }
  if (trusted) plugins.push(trustedDocuments(trusted, settings.trustedDocumentsMode, logger));
  return plugins;
}

/** Headers a page on another origin cannot send without a preflight. */
const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight'];

/**
 * Browsers may send "simple" GET and form POSTs cross-site without a preflight; those must carry a
 * header a page on another origin cannot set. JSON POSTs (GraphiQL's) are preflighted. Yoga's
 * plugin decides; its refusal has no code (it would be logged and counted as an internal error),
 * so it is thrown again with one and a message saying what to send.
 */
function csrfPrevention(): Plugin {
  const yogaCsrf = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
  return {
    onRequestParse(payload) {
      try {
        return yogaCsrf.onRequestParse?.(payload);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        throw new GraphQLError(
          `Required CSRF header not present: a GET or a form POST must carry ${CSRF_HEADERS.join(' or ')} (any value), which a page on another site cannot send.`,
          { extensions: { code: ErrorCode.CSRF_HEADER_REQUIRED, http: { status: 403 } } },
        );
      }
    },
  };
}

/**
 * Armor throws its depth, alias and directive refusals out of validation, where they lose what a
 * validation error has: they would answer 200, with no `extensions.code`, as a "Syntax Error".
 * Reported as validation errors instead, they answer as the mutation-field limit does: 400,
 * BAD_USER_INPUT.
 */
const asValidationError = {
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(
        new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: ErrorCode.BAD_USER_INPUT } }),
      ),
  ],
};
