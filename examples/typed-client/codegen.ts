import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Types the operations written with `graphql(…)` in `src/` against the gateway's checked-in SDL,
 * and writes `src/gql/persisted-documents.json`: the trusted-documents list the gateway reads
 * (TRUSTED_DOCUMENTS_FILE). Paths are relative to this folder: `npm run codegen` here.
 */
const config = {
  schema: '../../schema/schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      config: {
        // Each operation is its text plus its hash (`__meta__.hash`): no GraphQL library at run time.
        documentMode: 'string',
        // ESM imports with `.js`, as NodeNext and browsers' module loaders want.
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', ID: 'string' },
      },
      presetConfig: { fragmentMasking: false, persistedDocuments: true },
    },
  },
} satisfies CodegenConfig;

export default config;
