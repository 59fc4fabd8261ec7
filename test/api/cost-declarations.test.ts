/**
 * Every field a request can reach declares its Elastic Path cost, so the estimate never counts a
 * new field as free by omission, and every field that can call Elastic Path shows routers its
 * cost in the subgraph SDL as `@cost`/`@listSize`. The walk starts at the root types and follows
 * every field's type, so a type is checked as soon as some operation can select it.
 */
import {
  buildASTSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  parse,
  type ConstDirectiveNode,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { reachesElasticPath, weightOf, type FieldCost, type TypeCost } from '../../src/cost/declare.js';
import { schema } from '../../src/schema/index.js';
import { printSubgraphSdl } from '../../src/schema/sdl.js';
import { speculativeFields } from '../../src/schema/speculative-reads.js';

/** Federation's own fields: `_service` never calls out; `_entities` costs what its types declare. */
const FEDERATION_FIELDS = new Set(['_service', '_entities']);

/** The object types an operation can reach, from the root types through every field's type. */
function reachableObjectTypes(): GraphQLObjectType[] {
  const seen = new Set<GraphQLNamedType>();
  const queue: GraphQLNamedType[] = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(
    (type): type is GraphQLObjectType => type != null,
  );
  const objects: GraphQLObjectType[] = [];
  while (queue.length > 0) {
    const type = queue.shift() as GraphQLNamedType;
    if (seen.has(type) || type.name.startsWith('_')) continue;
    seen.add(type);
    if (isObjectType(type)) {
      objects.push(type);
      for (const field of Object.values(type.getFields())) if (!FEDERATION_FIELDS.has(field.name)) queue.push(getNamedType(field.type));
    } else if (isUnionType(type) || isInterfaceType(type)) {
      queue.push(...schema.getPossibleTypes(type));
    }
  }
  return objects;
}

const fieldCost = (type: GraphQLObjectType, field: string) =>
  (type.getFields()[field]?.extensions as { cost?: FieldCost } | undefined)?.cost;
const typeCost = (type: GraphQLNamedType | undefined) => (type?.extensions as { cost?: TypeCost } | undefined)?.cost;

/** The directives each field carries in the printed subgraph SDL, by `Type.field`. */
function printedDirectives(): Map<string, readonly ConstDirectiveNode[]> {
  const printed = buildASTSchema(parse(printSubgraphSdl()), { assumeValidSDL: true });
  const directives = new Map<string, readonly ConstDirectiveNode[]>();
  for (const type of Object.values(printed.getTypeMap())) {
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) directives.set(`${type.name}.${field.name}`, field.astNode?.directives ?? []);
  }
  return directives;
}

const argument = (directive: ConstDirectiveNode | undefined, name: string) =>
  directive?.arguments?.find((arg) => arg.name.value === name)?.value;

describe('cost declarations', () => {
  const types = reachableObjectTypes();

  it('reach every type the root types lead to', () => {
    const names = types.map((type) => type.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'Query',
        'Mutation',
        'Subscription',
        'Account',
        'AccountMember',
        'AccountMembership',
        'PageInfo',
        'NotFoundError',
      ]),
    );
  });

  it('are on every field of every reachable type, free ones declared free', () => {
    const undeclared = types.flatMap((type) =>
      Object.keys(type.getFields())
        .filter((field) => !FEDERATION_FIELDS.has(field) && fieldCost(type, field) === undefined)
        .map((field) => `${type.name}.${field}`),
    );
    expect(undeclared, "declare these fields' cost beside their resolvers (src/cost/declare.ts)").toEqual([]);
  });

  it('say how records load wherever a field reads them, and what a federation reference costs', () => {
    for (const type of types) {
      const fields = Object.keys(type.getFields()).map((field) => fieldCost(type, field));
      if (fields.some((declared) => declared?.readsRecord)) expect(typeCost(type)?.records, `${type.name}: records`).toBeDefined();
      for (const [field, definition] of Object.entries(type.getFields())) {
        const declared = fieldCost(type, field);
        if (declared?.yields !== 'lookup' && declared?.yields !== 'reference') continue;
        const yielded = getNamedType(definition.type);
        const readByField =
          isObjectType(yielded) && Object.values(yielded.getFields()).some((f) => fieldCost(yielded, f.name)?.readsRecord);
        if (declared.yields === 'lookup' || readByField)
          expect(typeCost(yielded)?.records, `${type.name}.${field} yields ${yielded.name}`).toBeDefined();
      }
    }
    const entities = schema.getQueryType()?.getFields()._entities;
    const union = entities && getNamedType(entities.type);
    expect(union && isUnionType(union)).toBe(true);
    if (union && isUnionType(union)) {
      for (const entity of union.getTypes()) expect(typeCost(entity)?.reference, `${entity.name}: reference`).toBeDefined();
    }
  });

  it("mark every field whose read may start beside its parent's as speculative", () => {
    const fields = speculativeFields();
    expect(fields.length).toBeGreaterThan(0);
    for (const coordinate of fields) {
      const [typeName, field] = coordinate.split('.') as [string, string];
      expect(fieldCost(schema.getType(typeName) as GraphQLObjectType, field)?.speculative, coordinate).toBe(true);
    }
  });

  it('show routers @cost on every field that can call Elastic Path, and @listSize on every page', () => {
    const printed = printedDirectives();
    for (const type of types) {
      for (const field of Object.keys(type.getFields())) {
        const declared = fieldCost(type, field);
        if (!declared || !reachesElasticPath(declared)) continue;
        const directives = printed.get(`${type.name}.${field}`) ?? [];
        const costDirective = directives.find((directive) => directive.name.value === 'cost');
        expect(argument(costDirective, 'weight'), `${type.name}.${field} @cost`).toMatchObject({
          kind: 'IntValue',
          value: String(weightOf(declared)),
        });
        if (declared.size?.slicingArgument) {
          const listSize = directives.find((directive) => directive.name.value === 'listSize');
          expect(argument(listSize, 'slicingArguments'), `${type.name}.${field} @listSize`).toMatchObject({
            values: [{ value: declared.size.slicingArgument }],
          });
          expect(argument(listSize, 'assumedSize'), `${type.name}.${field} @listSize`).toMatchObject({
            kind: 'IntValue',
            value: String(declared.size.assumed),
          });
        }
      }
    }
  });

  it('weigh a page at one call, its first at most 100 and 25 when absent, and a bulk ensure at its most calls', () => {
    const printed = printSubgraphSdl();
    expect(printed).toContain(
      '): AccountMemberConnection! @cost(weight: 1) @listSize(assumedSize: 25, slicingArguments: ["first"], requireOneSlicingArgument: false, sizedFields: ["edges"])',
    );
    expect(printed).toMatch(/\): EnsureAccountMembershipsResult! @cost\(weight: 110\)/);
    expect(printed).toContain('results: [EnsureAccountMembershipResult!]! @cost(weight: 0) @listSize(assumedSize: 100)');
  });
});
