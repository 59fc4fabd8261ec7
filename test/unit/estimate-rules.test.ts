/**
 * The cost estimate's rules one at a time, on a small schema of their own: the served schema never
 * takes some branches (its only reference costs 1 call, every write's read-beside target has a field
 * that reads the record, its keys have one field), so each case here isolates one and asserts the
 * exact number. Records are read one by one unless a case says otherwise.
 */
import {
  GraphQLID,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
  parse,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import type { EstimateSettings, FieldCost, TypeCost } from '../../src/cost/declare.js';
import { estimateCalls } from '../../src/cost/estimate.js';

const SETTINGS: EstimateSettings = { epMemberBatchLookup: false };

const cost = (declared: FieldCost) => ({ extensions: { cost: declared } });
const typeCost = (declared: TypeCost) => ({ extensions: { cost: declared } });
const oneByOne: TypeCost = { records: { batchSize: 100, batched: () => false } };

const free = { type: GraphQLString, ...cost({}) };
const record = { type: GraphQLString, ...cost({ readsRecord: true }) };

const Owner = new GraphQLObjectType({
  name: 'Owner',
  ...typeCost(oneByOne),
  fields: { id: { type: GraphQLID, ...cost({}) }, name: record },
});

/** Every field a leaf that reads the record: a selection on it still costs that read. */
const Tag = new GraphQLObjectType({ name: 'Tag', ...typeCost(oneByOne), fields: { label: record } });

/** Reads its record, but declares no records cost. */
const Maker = new GraphQLObjectType({ name: 'Maker', fields: { name: record } });

const Item = new GraphQLObjectType({
  name: 'Item',
  fields: {
    // Declares nothing, so it makes no call.
    sku: { type: GraphQLString },
    owner: { type: Owner, ...cost({ yields: 'reference' }) },
    tag: { type: Tag, ...cost({ yields: 'reference' }) },
    maker: { type: Maker, ...cost({ yields: 'reference' }) },
    // Named like federation's field, but on another type: an ordinary field.
    _entities: { type: GraphQLString, ...cost({ calls: 1 }) },
  },
});

/** A write's target, read beside the write; `note` declares no read of the record. */
const Target = new GraphQLObjectType({
  name: 'Target',
  ...typeCost(oneByOne),
  fields: { id: { type: GraphQLID, ...cost({}) }, name: record, note: free },
});

const Update = new GraphQLObjectType({ name: 'Update', fields: { target: { type: Target, ...cost({ yields: 'reference' }) } } });

/** An entity told apart by two key fields, each distinct representation costing 2 calls. */
const Product = new GraphQLObjectType({
  name: 'Product',
  ...typeCost({ reference: { key: ['store', 'sku'], calls: 2 } }),
  fields: { store: free, sku: free, name: record },
});

const Any = new GraphQLScalarType({ name: '_Any' });
const Entity = new GraphQLUnionType({ name: '_Entity', types: [Product] });

/** A page of items: one call, `first` of them (25 by default), refused when negative. */
const page = (declared: FieldCost) => ({
  type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Item))),
  args: { first: { type: GraphQLInt } },
  ...cost({
    calls: 1,
    yields: 'records',
    size: { of: ({ first }) => (typeof first === 'number' ? (first < 0 ? undefined : first) : 25), assumed: 25 },
    ...declared,
  }),
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      items: page({}),
      // Every item of this page has the same owner.
      shelf: page({ relations: { owner: 'shared' } }),
      viewerName: record,
      exists: { type: GraphQLString, args: { id: { type: GraphQLID } }, ...cost({ calls: 1, yields: 'lookup' }) },
      _entities: {
        type: new GraphQLNonNull(new GraphQLList(Entity)),
        args: { representations: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Any))) } },
        ...cost({}),
      },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: {
      update: { type: new GraphQLNonNull(Update), ...cost({ calls: 1, yields: 'records', relations: { target: 'read-beside' } }) },
    },
  }),
});

const estimate = (query: string, variableValues?: Record<string, unknown>) =>
  estimateCalls({ schema, document: parse(query), variableValues }, SETTINGS);

const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { name } } }';
const product = (key: Record<string, string>) => ({ __typename: 'Product', ...key });

describe('the estimate on a schema of its own', () => {
  it('reads no record for a field on the root, which has none', () => {
    expect(estimate('{ viewerName }')).toBe(0);
  });

  it('counts a page of 0 as refused: neither its call nor what it selects', () => {
    expect(estimate('{ items(first: 0) { owner { name } } }')).toBe(0);
    expect(estimate('{ items(first: 1) { owner { name } } }')).toBe(1 + 1);
  });

  it('counts nothing for arguments execution refuses', () => {
    expect(estimate('{ items(first: "three") { owner { name } } }')).toBe(0);
    expect(estimate('{ items(first: -1) { owner { name } } }')).toBe(0);
  });

  it('counts only the own calls of a field answering a scalar, whatever it yields', () => {
    expect(estimate('{ exists(id: "1") }')).toBe(1);
  });

  it('makes no call for a field that declares nothing', () => {
    expect(estimate('{ items(first: 2) { sku } }')).toBe(1);
  });

  it("reads each object's own reference once, and a shared one once for the whole page", () => {
    expect(estimate('{ items(first: 3) { owner { name } } }')).toBe(1 + 3);
    expect(estimate('{ shelf(first: 3) { owner { name } } }')).toBe(1 + 1);
  });

  it('reads the record of a type whose fields are all leaves that read it', () => {
    expect(estimate('{ items(first: 2) { tag { label } } }')).toBe(1 + 2);
  });

  it('treats a field named _entities on a type other than the query type as an ordinary field', () => {
    expect(estimate('{ items(first: 2) { _entities } }')).toBe(1 + 2);
  });

  it('names the type whose records a field reads when the type declares no records cost', () => {
    expect(() => estimate('{ items(first: 1) { maker { name } } }')).toThrow(
      new Error('Maker declares no records cost (extensions.cost.records), which the cost estimate reads.'),
    );
  });
});

describe('a relation read beside the write', () => {
  it('is not read when only its id is selected', () => {
    expect(estimate('mutation { update { target { id } } }')).toBe(1);
  });

  it('is read once the selection goes beyond the id, even if no field reads the record', () => {
    expect(estimate('mutation { update { target { id note } } }')).toBe(1 + 1);
  });

  it('is then at hand for the fields that read the record', () => {
    expect(estimate('mutation { update { target { name note } } }')).toBe(1 + 1);
  });
});

describe("federation's _entities", () => {
  it('costs each distinct representation its declared calls', () => {
    const r = [product({ store: 'a', sku: '1' }), product({ store: 'a', sku: '2' }), product({ store: 'b', sku: '1' })];
    expect(estimate(ENTITIES, { r: [...r, product({ store: 'a', sku: '1' })] })).toBe(3 * 2);
  });

  it('tells keys apart field by field, not by their concatenation', () => {
    expect(estimate(ENTITIES, { r: [product({ store: 'a', sku: 'bc' }), product({ store: 'ab', sku: 'c' })] })).toBe(2 * 2);
  });

  it('reads a key field left out as empty', () => {
    expect(estimate(ENTITIES, { r: [product({ store: 'a' }), product({ store: 'a', sku: '' })] })).toBe(1 * 2);
  });
});
