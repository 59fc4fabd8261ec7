/**
 * The README's examples run as pasted. Each GraphQL block parses and validates against the schema
 * as one document (as GraphiQL takes it whole), and each of its queries and mutations answers
 * against the emulator's demo data, as `npm run dev` serves it, without a top-level error and
 * without a typed error result. Its JSON blocks parse. Its codegen.ts block is the typed client's
 * own configuration, with the paths a project of its own would use.
 */
import { readFileSync } from 'node:fs';
import { Kind, parse, print, validate, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { schema } from '../../src/schema/index.js';
import { startStack, type Stack } from '../support/stack.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The fenced blocks of one language, with the line each starts on. */
function blocks(language: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  for (const match of README.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))) {
    found.push({ line: README.slice(0, match.index).split('\n').length, text: match[1] as string });
  }
  return found;
}

/** What the examples' variables stand for, from the demo data the README's ids name. */
const VARIABLES: Record<string, unknown> = {
  accountId: DEMO.accounts.globex.id,
  people: [DEMO.members.andy.id, DEMO.members.tom.id],
};

const graphqlBlocks = blocks('graphql');

describe("the README's GraphQL examples", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  // Each block as on a fresh `npm run dev`: what one block wrote is not there for the next.
  beforeEach(() => stack.reset());

  it('has examples to check', () => {
    expect(graphqlBlocks.length).toBeGreaterThanOrEqual(5);
  });

  it.each(graphqlBlocks.map((block) => [block.line, block.text] as const))('runs the block at line %i as pasted', async (_line, text) => {
    const document = parse(text);
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    const operations = document.definitions.filter(
      (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
    );
    // GraphiQL runs a block of several operations only when each has a name to pick it by.
    if (operations.length > 1) expect(operations.filter((operation) => !operation.name)).toEqual([]);

    for (const operation of operations) {
      // Subscriptions are followed live elsewhere (test/subscriptions); here they validate.
      if (operation.operation === 'subscription') continue;
      const variables = Object.fromEntries(
        (operation.variableDefinitions ?? []).map(({ variable }) => [variable.name.value, VARIABLES[variable.name.value]]),
      );
      const answer = await stack.gateway.post(
        { query: text, operationName: operation.name?.value, variables },
        { authorization: stack.authorization },
      );
      const name = operation.name?.value ?? print(operation).slice(0, 60);
      expect(answer.errors, name).toBeUndefined();
      for (const [field, value] of Object.entries(answer.data ?? {})) {
        expect(value, `${name}: ${field}`).not.toBeNull();
        const typename = (value as { __typename?: string }).__typename;
        expect(typename?.endsWith('Error') ? `${field}: ${typename}` : 'no typed error', name).toBe('no typed error');
      }
    }
  });
});

describe("the README's other examples", () => {
  it.each(blocks('json').map((block) => [block.line, block.text] as const))('parses the JSON block at line %i', (_line, text) => {
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it("shows the typed client's codegen.ts as a project of its own would write it", () => {
    const [shown] = blocks('ts').filter((block) => block.text.startsWith('// codegen.ts'));
    const own = readFileSync(new URL('../../examples/typed-client/codegen.ts', import.meta.url), 'utf8');
    // The same settings, with the comments and the path to this repository's SDL left out.
    const settings = (text: string) =>
      text
        .split('\n')
        .map((line) => line.replace(/\/\/.*$/, '').trim())
        .filter((line) => line && !line.startsWith('*') && !line.startsWith('/**'))
        .join(' ');
    expect(shown).toBeDefined();
    expect(settings(shown!.text)).toContain("import type { CodegenConfig } from '@graphql-codegen/cli';");
    expect(settings(shown!.text)).toContain('export default config;');
    for (const key of ["preset: 'client'", "documentMode: 'string'", 'persistedDocuments: true', 'fragmentMasking: false']) {
      expect(settings(own), key).toContain(key);
      expect(settings(shown!.text), key).toContain(key);
    }
  });
});
