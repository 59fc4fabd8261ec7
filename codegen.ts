import type { CodegenConfig } from '@graphql-codegen/cli';

/** Types the test operations (`test/operations/*.graphql`) against the checked-in SDL. */
const config = {
  schema: 'schema/schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'test/gql/': {
      preset: 'client',
      config: {
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', ID: 'string' },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
} satisfies CodegenConfig;

export default config;
