/**
 * The estimate is never below the calls an operation really makes, whatever its shape: operations
 * generated from the schema (fields, aliases, inline and named fragments, variables with and
 * without defaults, given or left out, `@include` and `@skip`, single values where a list is
 * expected, ids that exist and ids that do not) run against the emulator with no faults, and the
 * emulator's count of what it received is compared with `extensions.cost.estimated`.
 *
 * Seeded like the fuzz tests: the seed is printed, and `COST_PROPERTY_SEED=<seed> npx vitest run
 * test/api/cost-property.test.ts` replays a run (fast-check's report adds the failing case). CI
 * fixes the seed (.ci/run); a local run draws a new one each time. `COST_PROPERTY_RUNS` sets how
 * many operations each variant tries.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { startStack, type Stack } from '../support/stack.js';

const SEED = propertySeed(process.env.COST_PROPERTY_SEED);
console.log(`cost property seed ${SEED}; replay with COST_PROPERTY_SEED=${SEED} npx vitest run test/api/cost-property.test.ts`);
const RUNS = positive(process.env.COST_PROPERTY_RUNS, 120);

function propertySeed(given: string | undefined): number {
  if (given === undefined || given === '') return Math.floor(Math.random() * 2 ** 31);
  if (!/^-?\d+$/.test(given) || !Number.isSafeInteger(Number(given)))
    throw new Error(`COST_PROPERTY_SEED must be an integer; got ${given}`);
  return Number(given);
}

function positive(given: string | undefined, fallback: number): number {
  if (given === undefined || given === '') return fallback;
  if (!/^[1-9]\d{0,5}$/.test(given)) throw new Error(`COST_PROPERTY_RUNS must be a positive integer; got ${given}`);
  return Number(given);
}

const ACCOUNTS = Object.values(DEMO.accounts).map((account) => account.id);
const MEMBERS = Object.values(DEMO.members).map((member) => member.id);
const MEMBERSHIPS = Object.values(DEMO.memberships).map((membership) => ({
  accountId: DEMO.accounts[membership.account].id,
  id: membership.id,
}));
/** Well-formed ids that name nothing in the store. */
const UNKNOWN = ['0d000000-0000-4000-8000-000000000001', '0d000000-0000-4000-8000-000000000002', '0d000000-0000-4000-8000-000000000003'];

type Kind = 'account' | 'member' | 'membership';

/** What each object type selects: leaves, and relations to other types with their arguments. */
const LEAVES: Record<string, string[]> = {
  Account: ['id', 'name', 'legalName', 'registrationId', 'externalRef', 'createdAt', '__typename'],
  AccountMember: ['id', 'name', 'email', 'givenName', 'familyName', 'updatedAt', '__typename'],
  AccountMembership: ['id', 'accountId', 'createdAt', '__typename'],
};

/**
 * Builds one operation from choices drawn by fast-check. Every variable it declares is in
 * `variables` unless the operation leaves it out on purpose (a default, or a nullable argument).
 */
class OperationBuilder {
  readonly declarations: string[] = [];
  readonly variables: Record<string, unknown> = {};
  readonly fragments: string[] = [];
  private counter = 0;

  constructor(private readonly g: fc.GeneratorValue) {}

  private int(min: number, max: number): number {
    return this.g(fc.integer, { min, max });
  }

  private chance(percent: number): boolean {
    return this.int(0, 99) < percent;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }

  private next(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter}`;
  }

  /** A value in argument position: a literal, or a variable given a value, or one whose default applies. */
  private argument(type: string, value: unknown, literal = JSON.stringify(value)): string {
    const choice = this.int(0, 3);
    if (choice === 0) return literal;
    const name = this.next('v');
    if (choice === 1) {
      this.declarations.push(`$${name}: ${type}`);
      this.variables[name] = value;
    } else {
      // A default the caller does not override: the value execution uses is the default.
      this.declarations.push(`$${name}: ${type.replace(/!$/, '')} = ${literal}`);
      if (choice === 3 && this.chance(30)) this.variables[name] = value;
    }
    return `$${name}`;
  }

  private id(kind: Kind): string {
    const known = kind === 'account' ? ACCOUNTS : kind === 'member' ? MEMBERS : MEMBERSHIPS.map((membership) => membership.id);
    const roll = this.int(0, 9);
    const value = roll < 6 ? this.pick(known) : roll < 8 ? this.pick(UNKNOWN) : roll < 9 ? this.pick(known).toUpperCase() : 'not-an-id';
    return this.argument('ID!', value);
  }

  private first(): string {
    const roll = this.int(0, 9);
    if (roll < 2) return '';
    const value = roll < 8 ? this.pick([1, 2, 5, 25, 100]) : this.pick([0, 101, 1000]);
    if (this.chance(25)) {
      // `first` from a variable with a default and no value: the default decides the page size.
      const name = this.next('f');
      this.declarations.push(`$${name}: Int = ${value}`);
      return `first: $${name}`;
    }
    return `first: ${this.argument('Int', value)}`;
  }

  /** `@include`/`@skip`, literal or through a variable (given, or left to its default). */
  private directive(): string {
    if (!this.chance(25)) return '';
    const which = this.pick(['include', 'skip']);
    const value = this.chance(50);
    return ` @${which}(if: ${this.argument('Boolean!', value)})`;
  }

  private alias(): string {
    return this.chance(30) ? `${this.next('a')}: ` : '';
  }

  /** Groups some selections in an inline or named fragment on `type`. */
  private wrap(type: string, selections: string[]): string[] {
    if (selections.length === 0 || !this.chance(35)) return selections;
    const cut = this.int(1, selections.length);
    const inner = selections.slice(0, cut).join(' ');
    const rest = selections.slice(cut);
    if (this.chance(50)) return [`...${this.chance(70) ? ` on ${type}` : ''}${this.directive()} { ${inner} }`, ...rest];
    const name = this.next('F');
    this.fragments.push(`fragment ${name} on ${type} { ${inner} }`);
    // A fragment spread twice is taken once.
    return [`...${name}${this.directive()}`, ...(this.chance(20) ? [`...${name}`] : []), ...rest];
  }

  selection(type: string, depth: number): string {
    const count = this.int(1, depth > 1 ? 3 : 2);
    const selections: string[] = [];
    for (let index = 0; index < count; index += 1) selections.push(this.field(type, depth));
    return `{ ${this.wrap(type, selections).join(' ')} }`;
  }

  private field(type: string, depth: number): string {
    const relations = depth > 0 ? this.relations(type) : [];
    if (relations.length === 0 || this.chance(35)) {
      return `${this.alias()}${this.pick(LEAVES[type] ?? ['__typename'])}${this.directive()}`;
    }
    return this.pick(relations)(depth - 1);
  }

  private relations(type: string): Array<(depth: number) => string> {
    const head = (name: string, args: string) => `${this.alias()}${name}${args ? `(${args})` : ''}${this.directive()}`;
    switch (type) {
      case 'Account':
        return [
          (depth) => `${head('parent', '')} ${this.selection('Account', depth)}`,
          (depth) => `${head('memberships', this.first())} ${this.connection('AccountMembership', depth)}`,
        ];
      case 'AccountMember':
        return [(depth) => `${head('memberships', this.first())} ${this.connection('AccountMembership', depth)}`];
      case 'AccountMembership':
        return [
          (depth) => `${head('account', '')} ${this.selection('Account', depth)}`,
          (depth) => `${head('accountMember', '')} ${this.selection('AccountMember', depth)}`,
        ];
      default:
        return [];
    }
  }

  private connection(node: string, depth: number): string {
    const parts = [`edges { ${this.alias()}node${this.directive()} ${this.selection(node, depth)} }`];
    if (this.chance(30)) parts.push('totalCount');
    if (this.chance(20)) parts.push(`edges { ${this.alias()}node ${this.selection(node, depth)} }`);
    return `{ ${parts.join(' ')} }`;
  }

  queryField(depth: number): string {
    const alias = this.alias();
    switch (this.int(0, 6)) {
      case 0:
        return `${alias}account(id: ${this.id('account')})${this.directive()} ${this.selection('Account', depth)}`;
      case 1:
        return `${alias}accountMember(id: ${this.id('member')})${this.directive()} ${this.selection('AccountMember', depth)}`;
      case 2:
        return `${alias}accountMembership(accountId: ${this.id('account')}, id: ${this.id('membership')}) ${this.selection('AccountMembership', depth)}`;
      case 3:
        return `${alias}accountMemberships(${[`accountId: ${this.id('account')}`, this.first()].filter(Boolean).join(', ')}) ${this.connection('AccountMembership', depth)}`;
      case 4: {
        const first = this.first();
        return `${alias}accountMembers${first ? `(${first})` : ''} ${this.connection('AccountMember', depth)}`;
      }
      case 5:
        return `${alias}unassignedAccountMembers(${[`accountId: ${this.id('account')}`, this.first()].filter(Boolean).join(', ')}) ${this.connection('AccountMember', depth)}`;
      default:
        return `${alias}_entities(representations: ${this.representations()}) { __typename ${this.wrap('_Entity', [
          `... on AccountMember ${this.selection('AccountMember', depth)}`,
          `... on Account ${this.selection('Account', depth)}`,
          `... on AccountMembership ${this.selection('AccountMembership', depth)}`,
        ]).join(' ')} }`;
    }
  }

  /** Federation representations: a list, or one object where GraphQL expects a list. */
  private representations(): string {
    const count = this.int(1, 5);
    const items = Array.from({ length: count }, () => {
      const roll = this.int(0, 2);
      if (roll === 0) return { __typename: 'AccountMember', id: this.pick([...MEMBERS, ...UNKNOWN]) };
      if (roll === 1) return { __typename: 'Account', id: this.pick([...ACCOUNTS, ...UNKNOWN]) };
      return { __typename: 'AccountMembership', ...this.pick(MEMBERSHIPS) };
    });
    const single = count === 1 && this.chance(60);
    const value = single ? items[0] : items;
    const literal = (item: Record<string, string>) =>
      `{ ${Object.entries(item)
        .map(([key, field]) => `${key}: ${JSON.stringify(field)}`)
        .join(', ')} }`;
    const text = single ? literal(items[0] as Record<string, string>) : `[${items.map(literal).join(', ')}]`;
    return this.argument('[_Any!]!', value, text);
  }

  mutationField(depth: number): string {
    const alias = this.alias();
    const membership = () => this.selection('AccountMembership', depth);
    switch (this.int(0, 3)) {
      case 0:
        return `${alias}createAccountMembership(accountId: ${this.id('account')}, accountMemberId: ${this.id('member')}) { __typename ... on AccountMembership ${membership()} ... on Error { message } }`;
      case 1:
        return `${alias}deleteAccountMembership(accountId: ${this.id('account')}, id: ${this.id('membership')}) { __typename }`;
      case 2:
        return `${alias}ensureAccountMembership(accountId: ${this.id('account')}, accountMemberId: ${this.id('member')}) { __typename ... on EnsuredAccountMembership { created membership ${membership()} } }`;
      default: {
        const ids = Array.from({ length: this.int(1, 4) }, () => this.pick([...MEMBERS, ...UNKNOWN]));
        const unique = [...new Set(ids)];
        // One id may stand alone where the argument is a list; GraphQL makes it a list of one.
        const single = unique.length === 1 && this.chance(60);
        const value = single ? unique[0] : unique;
        const text = single ? JSON.stringify(unique[0]) : `[${unique.map((id) => JSON.stringify(id)).join(', ')}]`;
        return `${alias}ensureAccountMemberships(accountId: ${this.id('account')}, accountMemberIds: ${this.argument('[ID!]!', value, text)}) { __typename ... on EnsuredAccountMemberships { created results { __typename ... on EnsuredAccountMembership { membership ${membership()} } } } }`;
      }
    }
  }

  operation(kind: 'query' | 'mutation', fields: string[]): string {
    const variables = this.declarations.length > 0 ? `(${this.declarations.join(', ')})` : '';
    return [`${kind} Generated${variables} { ${fields.join(' ')} }`, ...this.fragments].join('\n');
  }
}

function generate(g: fc.GeneratorValue): { query: string; variables: Record<string, unknown> } {
  const builder = new OperationBuilder(g);
  const mutation = g(fc.integer, { min: 0, max: 3 }) === 0;
  const count = g(fc.integer, { min: 1, max: 2 });
  const depth = g(fc.integer, { min: 1, max: 3 });
  const fields = Array.from({ length: count }, () => (mutation ? builder.mutationField(depth) : builder.queryField(depth)));
  return { query: builder.operation(mutation ? 'mutation' : 'query', fields), variables: builder.variables };
}

/**
 * The calls the emulator received for the last operation, once the gateway has none in flight or
 * queued and the count stays put over a few turns of the event loop. An error in a non-null root
 * field ends the answer early, while resolvers beside it still finish their calls: those count too.
 */
async function settledCalls(stack: Stack): Promise<number> {
  let quiet = 0;
  let last = -1;
  for (let turn = 0; turn < 10_000 && quiet < 5; turn += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    const { inFlight, queued } = stack.gateway.gateway.upstream.stats();
    const count = stack.upstreamCalls().length;
    quiet = inFlight === 0 && queued === 0 && count === last ? quiet + 1 : 0;
    last = count;
  }
  return last;
}

describe.each([
  ['one GET per member', 'false'],
  ['members in batches', 'true'],
])('the estimate of a generated operation (%s)', (_name, memberBatchLookup) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      gateway: {
        // Only the estimate is under test: the shape limits are opened, and nothing is refused for cost.
        env: {
          EP_MEMBER_BATCH_LOOKUP: memberBatchLookup,
          MAX_UPSTREAM_CALLS: '100000',
          MAX_DEPTH: '100',
          MAX_ALIASES: '1000',
          MAX_TOKENS: '100000',
        },
      },
    });
  });
  afterAll(() => stack.close());

  // About 150 requests, each waited out; a shared, busy machine needs more than the default time.
  it('is never below the calls Elastic Path receives', { timeout: 180_000 }, async () => {
    let ran = 0;
    let called = 0;
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => {
        const { query, variables } = generate(g);
        stack.reset();
        const result = await stack.gateway.post({ query, variables }, { authorization: stack.authorization });
        const cost = result.extensions?.cost as { estimated: number; actual: number } | undefined;
        const made = await settledCalls(stack);
        const operation = `${query}\nvariables: ${JSON.stringify(variables)}`;
        if (!cost) {
          // Refused before execution (a document or variables the generator got wrong): nothing ran.
          expect(made, operation).toBe(0);
          return;
        }
        ran += 1;
        if (made > 0) called += 1;
        expect(cost.estimated, operation).toBeGreaterThanOrEqual(made);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // The generator must make operations that run and call Elastic Path, or the property says nothing.
    expect(ran).toBeGreaterThan(RUNS * 0.8);
    expect(called).toBeGreaterThan(RUNS * 0.5);
  });
});
