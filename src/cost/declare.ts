/**
 * What a field costs Elastic Path, declared beside its resolver. One declaration serves two readers:
 * the gateway's own estimate (`estimate.ts`) reads it from the field's `extensions.cost`, and
 * routers read the `@cost` and `@listSize` directives derived from it in the subgraph SDL.
 *
 * The estimate follows the declaration exactly. The directives are linear (a weight per field, a
 * size per list) and cannot say "free when the parent's answer included it" or "N records cost
 * ⌈N/100⌉ calls", so they carry the nearest figure that is never below what the field costs: a
 * record read counts 1 wherever it may happen, and a call whose count depends on its input counts
 * its largest.
 *
 *   name: t.string({ ...cost.record(), resolve: field((dto) => dto.name) }),
 *   accountMembers: t.field({ ...pageCost(), type: AccountMemberConnection, args: …, resolve: … }),
 */
import type { CostSettings } from '../plugins/use-cost-estimate.js';

/** The setting the estimate reads: whether members load in `in(id,…)` batches (EP_MEMBER_BATCH_LOOKUP). */
export type EstimateSettings = Pick<CostSettings, 'epMemberBatchLookup'>;

export type Arguments = Record<string, unknown>;

/**
 * How the relation of a yielded object comes: with the answer (`included`), as one record for all
 * of them (`shared`), as one record for all of them whose id the caller named (`named`: an argument,
 * read whether or not it exists), as the very object the field is on (`parent`), whose record is at
 * hand exactly when it is there, or read beside the write that yields it (`read-beside`) as soon as
 * the selection on it goes beyond its id, whether or not a field then reads the record.
 */
export type Relation = 'included' | 'shared' | 'named' | 'parent' | 'read-beside';

/** The `extensions.cost` of a field. A field that declares nothing of these makes no call. */
export interface FieldCost {
  /**
   * Calls the field makes each time it runs (a write, a page, a read of one record), beside what its
   * selection costs; given its answer's size when it has one (see `size`).
   * @default 0
   */
  calls?: number | ((size: number) => number);
  /** The most `calls` can be, for routers, when it depends on the answer's size. */
  maxCalls?: number;
  /**
   * How many objects one run answers with, read from the field's arguments as execution coerces them
   * (a page's `first`, a bulk call's ids); what they select is counted that many times. Undefined
   * when the resolver refuses the arguments before any call: then the field costs nothing.
   */
  size?: ListSize;
  /**
   * Reads the record of the object it is on. Every field that reads it shares one read, which costs
   * nothing when the record is already at hand and otherwise goes through the type's loader (see
   * `RecordCost`).
   */
  readsRecord?: true;
  /**
   * What the field answers with, when it is not part of its parent's answer:
   * - `records`: objects whose records came with the field's own call (a page, a write's answer);
   * - `lookup`: the record of an id the caller named, read through the type's loader (the id may not
   *   exist, which a batch then looks up alone);
   * - `reference`: an object known by its id only; its record is read when a field needs it, unless
   *   the answer that named it included it (`relations`).
   * Without it, the objects are part of the parent's answer and inherit what is known of them.
   */
  yields?: 'records' | 'lookup' | 'reference';
  /**
   * What the field's answer says of the relations of the objects it yields, by the relation field's
   * name: `included` when Elastic Path sends their records along (`include=…`, asked for only when
   * their fields are selected), `shared` when every object names the same record (so the loader
   * reads it once), `named` when that record is the one an argument names (read beside the field's
   * own call, so it may not exist), `parent` when every object names the object the field is on,
   * `read-beside` when the field reads it while its own call is in flight (`speculative-reads.ts`).
   */
  relations?: Readonly<Record<string, Relation>>;
  /**
   * Its read can start before the field runs, beside its parent's read (`speculative-reads.ts`).
   * Counted as the field's own read, whether or not the parent turns out to exist. (A read beside
   * a write is the write's relation `read-beside`.)
   */
  speculative?: true;
}

export interface ListSize {
  /** The size from the coerced arguments, or undefined when they are refused before any call. */
  of: (args: Arguments) => number | undefined;
  /** The size when the arguments leave it open, and the largest when they cannot say (for routers). */
  assumed: number;
  /** The argument that sets it (`first`), for routers' `slicingArguments`. */
  slicingArgument?: string;
  /** The fields of the answer whose lists have that size (`edges`), for routers' `sizedFields`. */
  sizedFields?: readonly string[];
}

/** The `extensions.cost` of an entity type. */
export interface TypeCost {
  /** How its loader reads records by id. */
  records?: {
    /** The most records one call reads when the loader batches them. */
    batchSize: number;
    /** Whether the loader batches them; otherwise each record is one call. */
    batched: (settings: EstimateSettings) => boolean;
  };
  /**
   * What federation's `_entities` costs per distinct representation (told apart by `key`): a
   * `lookup` through the loader, as a field that yields `lookup` does, or `calls` each. What the
   * representation selects is then counted with its record at hand.
   */
  reference?: { key: readonly string[] } & ({ lookup: true } | { calls: number });
}

/** The directives a declaration gives routers, in the form Pothos' directives plugin takes. */
export interface CostDirectives {
  cost?: { weight: number };
  listSize?: { assumedSize: number; slicingArguments?: string[]; sizedFields?: string[]; requireOneSlicingArgument?: boolean };
}

/** Options to spread into a Pothos field: the declaration and the directives derived from it. */
export interface Declared {
  extensions: { cost: FieldCost };
  directives: CostDirectives;
}

/** The weight routers see: the field's largest number of calls, and 1 for each read it may make. */
export function weightOf(declaration: FieldCost): number {
  const calls = declaration.maxCalls ?? (typeof declaration.calls === 'number' ? declaration.calls : 0);
  return calls + (declaration.readsRecord ? 1 : 0) + (declaration.yields === 'lookup' ? 1 : 0);
}

/** Whether the field can reach Elastic Path itself (not only through what it selects). */
export function reachesElasticPath(declaration: FieldCost): boolean {
  return weightOf(declaration) > 0 || declaration.size !== undefined;
}

interface Shape {
  /** The field answers with an object or a list of them. */
  objectType: boolean;
  /** The field is a list whose size its parent's declaration counts: routers assume this size. */
  assumedSize?: number;
}

function declare(declaration: FieldCost, { objectType, assumedSize }: Shape): Declared {
  const directives: CostDirectives = {};
  const weight = weightOf(declaration);
  // An object-typed field weighs 1 to a router unless it says otherwise; a scalar, 0.
  if (weight > 0 || objectType) directives.cost = { weight };
  const { size } = declaration;
  // A size that applies to a list of the field's own answer (a page's edges); a size that applies
  // deeper (a bulk call's results) is given by that list's own declaration.
  if (size?.sizedFields) {
    directives.listSize = {
      assumedSize: size.assumed,
      ...(size.slicingArgument ? { slicingArguments: [size.slicingArgument], requireOneSlicingArgument: false } : {}),
      sizedFields: [...size.sizedFields],
    };
  } else if (assumedSize !== undefined) {
    directives.listSize = { assumedSize };
  }
  return { extensions: { cost: declaration }, directives };
}

/**
 * Options to spread into an entity type: its declaration, and for routers the calls a reference to
 * it costs where its fields cannot carry them (a membership's fields are all part of its record;
 * a member's and an account's fields carry their record's read themselves).
 */
export function typeCost(declaration: TypeCost): { extensions: { cost: TypeCost }; directives: Pick<CostDirectives, 'cost'> } {
  const reference = declaration.reference;
  const weight = reference && 'calls' in reference ? reference.calls : undefined;
  return { extensions: { cost: declaration }, directives: weight === undefined ? {} : { cost: { weight } } };
}

/** The declarations fields use; each returns options to spread into the field's own. */
export const cost = {
  /** A scalar that is part of its parent's answer: no call. */
  free: (): Declared => declare({}, { objectType: false }),
  /**
   * An object or list that is part of its parent's answer: no call of its own; its selection is
   * counted. `assumedSize`: a list as long as its parent's declaration counts, at most this long.
   */
  within: ({ assumedSize }: { assumedSize?: number } = {}): Declared => declare({}, { objectType: true, assumedSize }),
  /** A scalar read from its parent's record. */
  record: (): Declared => declare({ readsRecord: true }, { objectType: false }),
  /** Any other declaration; `objectType` when the field answers with an object or a list of them. */
  of: (declaration: FieldCost, { objectType }: { objectType: boolean }): Declared => declare(declaration, { objectType }),
};
