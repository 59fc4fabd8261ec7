/**
 * Limits that keep one request from costing the gateway (or Elastic Path) more than it should:
 * document size and shape, mutation fan-out, CSRF, introspection and, optionally, an allow-list of
 * trusted documents. Each limit is a setting (see `config.ts`) and fails with a clear message.
 */
import { readFileSync } from 'node:fs';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, Kind, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ConfigError, type Config } from './config.js';
import { ErrorCode } from './errors.js';

export type ProtectionSettings = Pick<
  Config,
  'maxDepth' | 'maxAliases' | 'maxTokens' | 'maxMutationFields' | 'introspection' | 'trustedDocumentsFile'
>;

export function protectionPlugins(settings: ProtectionSettings): Plugin[] {
  const plugins: Plugin[] = [
    // Browsers may send "simple" GET and form POSTs cross-site without a preflight; those must
    // carry a header a page on another origin cannot set. JSON POSTs (GraphiQL's) are preflighted.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'apollo-require-preflight'] }),
    EnvelopArmorPlugin({
      maxDepth: { n: settings.maxDepth, ignoreIntrospection: true, flattenFragments: true, exposeLimits: true },
      maxAliases: { n: settings.maxAliases, exposeLimits: true },
      maxTokens: { n: settings.maxTokens, exposeLimits: true },
      maxDirectives: { n: 50, exposeLimits: true },
      // Depth, aliases, tokens and the mutation limit already bound the work; Armor's generic cost
      // weights know nothing of which fields reach Elastic Path.
      costLimit: { enabled: false },
      blockFieldSuggestion: { enabled: !settings.introspection },
    }) as Plugin,
    {
      onValidate({ addValidationRule }) {
        addValidationRule(maxMutationFields(settings.maxMutationFields));
      },
    },
  ];
  if (!settings.introspection) {
    // `_service { sdl }` stays available for federation routers: it is a field, not introspection.
    plugins.push(useDisableIntrospection());
  }
  if (settings.trustedDocumentsFile) {
    const manifest = readTrustedDocuments(settings.trustedDocumentsFile);
    plugins.push(
      usePersistedOperations({
        allowArbitraryOperations: false,
        skipDocumentValidation: false,
        getPersistedOperation: (key) => manifest.get(key) ?? null,
        customErrors: {
          notFound: { message: 'This operation is not on the list of trusted documents.', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
          persistedQueryOnly: { message: 'Only trusted documents run here: send the document id in extensions.persistedQuery.sha256Hash, not a query.', extensions: { code: 'PERSISTED_QUERY_ONLY' } },
          keyNotFound: { message: 'Only trusted documents run here: send the document id in extensions.persistedQuery.sha256Hash.', extensions: { code: 'PERSISTED_QUERY_ONLY' } },
        },
      }),
    );
  }
  return plugins;
}

/** One operation must not fan out into many upstream writes: each root mutation field is one. */
function maxMutationFields(limit: number): ValidationRule {
  return (context) => ({
    OperationDefinition(node) {
      if (node.operation !== 'mutation') return;
      const count = rootFieldCount(node, (name) => context.getFragment(name));
      if (count > limit) {
        context.reportError(
          new GraphQLError(
            `This operation has ${count} mutation fields; at most ${limit} are allowed in one operation. Send them in separate requests.`,
            { nodes: [node], extensions: { code: ErrorCode.BAD_USER_INPUT } },
          ),
        );
      }
    },
  });
}

/** The root fields an operation runs (each a write, for a mutation), through its fragments; `__typename` is free. */
export function rootFieldCount(
  operation: OperationDefinitionNode,
  fragment: (name: string) => FragmentDefinitionNode | null | undefined,
): number {
  let count = 0;
  const seen = new Set<string>();
  const visit = (selections: SelectionSetNode['selections']) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') count += 1;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet.selections);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const definition = fragment(selection.name.value);
        if (definition) visit(definition.selectionSet.selections);
      }
    }
  };
  visit(operation.selectionSet.selections);
  return count;
}

/** `{ "<id or sha256>": "<document>" }`, or an array of `{ id, body }` entries; callers send the id as `extensions.persistedQuery.sha256Hash`. */
function readTrustedDocuments(file: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError('TRUSTED_DOCUMENTS_FILE', `cannot read ${file} as JSON (${(error as Error).message})`);
  }
  const entries: Array<[unknown, unknown]> = Array.isArray(parsed)
    ? parsed.map((entry: { id?: unknown; body?: unknown }) => [entry?.id, entry?.body])
    : Object.entries((parsed ?? {}) as Record<string, unknown>);
  if (entries.length === 0 || !entries.every(([id, body]) => typeof id === 'string' && typeof body === 'string')) {
    throw new ConfigError('TRUSTED_DOCUMENTS_FILE', `${file} is not a manifest of { "<id>": "<document>" }`);
  }
  return new Map(entries as Array<[string, string]>);
}
