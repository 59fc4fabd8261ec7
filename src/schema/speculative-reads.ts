/**
 * Speculative reads: reads started before the answer that leads to them, because every id they
 * need is already known (an argument, or a key the parent holds). Against Elastic Path each call
 * costs tens of milliseconds, so what callers feel is how many calls happen one after another; a
 * field that waited for its parent's record before starting a read that needs only an id would
 * double the wait.
 *
 * The speculative reads, and the only ones:
 * - `accountMember(id) { memberships }`: the member's memberships page, beside the member's record;
 * - `account(id) { memberships }`: the account's memberships page, beside the account's record;
 * - `accountMembership(accountId, id) { account { … } }` and
 *   `accountMemberships(accountId) { edges { node { account { … } } } }`: the account's record
 *   (when a field beyond `id` is selected) and its memberships pages (when selected), beside the
 *   membership read.
 *
 * - `ensureAccountMembership`: the memberships list filtered by the member, beside the write
 *   (`takeRoomBesideWrite`), so that a 409 finds the existing membership already read. The outcome
 *   is still the POST's (lists lag behind writes): the list only supplies the record after a 409;
 *   when it came back empty or failed, the membership is looked up after the 409, as without it.
 * - `createAccountMembership { accountMember { … } }` and
 *   `ensureAccountMembership { … membership { accountMember { … } } }`: the member's record, beside
 *   the write (`readMemberBesideWrite`). A membership write never changes a member, so the read is
 *   kept for the member's fields. The write is sent first and takes its connection slot, rate and
 *   call budget before it; the read starts only if a slot is free and a call is left after that,
 *   and otherwise the field reads after the write, as it would without it. If the write fails, the
 *   read is wasted, never wrong: it was made with the caller's own token.
 *
 * Each is exactly the read its field makes when it runs (same path and query), so the request's
 * shared reads and the per-request loaders hand that field the read already in flight: batching and
 * deduplication are unchanged. A speculative read is wasted when its parent turns out to be missing
 * (`accountMember: null`; the page's 404 is then never seen) or failing, or a page has no nodes;
 * that costs the one call it started. The field that started them answers only once they have
 * settled, so none outlives its operation. An operation starts at most MAX_SPECULATIVE_READS;
 * past that, fields read when they run. The cost estimate counts each as the read of the field it
 * starts for, whether or not the parent exists.
 */
import { getArgumentValues, type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import type { Context } from './context.js';
import { subfields } from './selection.js';

/** Speculative reads one operation may start. */
export const MAX_SPECULATIVE_READS = 10;

type Entity = 'Account' | 'AccountMember';

/** A field's own read, given its parent's id, its arguments and its field nodes (`info.fieldNodes` when it runs). */
export type ChildRead = (
  id: string,
  args: Record<string, unknown>,
  fieldNodes: readonly FieldNode[],
  info: GraphQLResolveInfo,
  context: Context,
) => Promise<unknown>;

const childReads: Record<Entity, Map<string, ChildRead>> = { Account: new Map(), AccountMember: new Map() };

/**
 * Declares that `entity.field` reads with nothing but its parent's id, so that it may start
 * beside its parent's own read. `read` must make exactly the call the field's resolver makes.
 */
export function readsById(entity: Entity, field: string, read: ChildRead): void {
  childReads[entity].set(field, read);
}

/** The fields declared with `readsById`, as `Type.field`: each declares its cost `speculative` too. */
export function speculativeFields(): string[] {
  return Object.entries(childReads).flatMap(([entity, reads]) => [...reads.keys()].map((field) => `${entity}.${field}`));
}

/**
 * Starts the reads of the fields selected below `fieldNodes` on the `entity` with this id: those
 * declared with `readsById`, and its record (when `record` and a field needs it). Returns them,
 * each already guarded against an unhandled rejection; the field that started them passes them to
 * `afterSpeculativeReads`.
 */
export function startReadsOf(
  entity: Entity,
  id: string,
  fieldNodes: readonly FieldNode[],
  info: GraphQLResolveInfo,
  context: Context,
  { record }: { record: boolean },
): Promise<unknown>[] {
  const reads: Promise<unknown>[] = [];
  const start = (read: () => Promise<unknown>): void => {
    if (context.speculativeReads.left <= 0) return;
    context.speculativeReads.left -= 1;
    let started: Promise<unknown>;
    try {
      started = read();
    } catch (error) {
      started = Promise.reject(error);
    }
    // Its field, if it runs, meets the failure through the shared read; otherwise nobody needs it.
    started.catch(() => undefined);
    reads.push(started);
  };
  let needsRecord = false;
  for (const group of subfields(fieldNodes, info).values()) {
    const name = (group[0] as FieldNode).name.value;
    if (name === 'id' || name === '__typename') continue;
    const read = childReads[entity].get(name);
    if (read) start(() => read(id, argumentsOf(entity, group, info), group, info, context));
    else needsRecord = true;
  }
  if (record && needsRecord) {
    const loader = entity === 'Account' ? context.loaders.account : context.loaders.accountMember;
    start(() => loader.load(id));
  }
  return reads;
}

/**
 * Starts the member's record beside a membership write already sent (see above), when a slot, a
 * call of the budget and a speculative read are left. Call it only after starting the write.
 */
export function readMemberBesideWrite(accountMemberId: string, context: Context): Promise<unknown>[] {
  if (!takeRoomBesideWrite(context)) return [];
  const read = context.loaders.accountMember.load(accountMemberId);
  // The member's field meets a failure through the loader; if the write failed, nobody needs it.
  read.catch(() => undefined);
  return [read];
}

/**
 * Takes one speculative read for a read beside a membership write already sent, when one is left
 * and a connection slot and a call of the budget are free after the write took its own; false
 * otherwise (the read then waits for the write, as it would without this).
 */
export function takeRoomBesideWrite(context: Context): boolean {
  if (context.speculativeReads.left <= 0 || !context.api.roomBeside()) return false;
  context.speculativeReads.left -= 1;
  return true;
}

/** `parent`, once the speculative reads it started have settled too (so none outlives the operation). */
export function afterSpeculativeReads<T>(parent: Promise<T>, reads: readonly Promise<unknown>[]): Promise<T> {
  if (reads.length === 0) return parent;
  return Promise.allSettled([parent, ...reads]).then(() => parent);
}

/** The arguments the field will run with, as graphql-js coerces them from the document and variables. */
function argumentsOf(entity: Entity, fieldNodes: readonly FieldNode[], info: GraphQLResolveInfo): Record<string, unknown> {
  const node = fieldNodes[0] as FieldNode;
  const definition = (info.schema.getType(entity) as GraphQLObjectType).getFields()[node.name.value];
  if (!definition) throw new Error(`${entity}.${node.name.value} is not in the schema`);
  return getArgumentValues(definition, node, info.variableValues);
}
