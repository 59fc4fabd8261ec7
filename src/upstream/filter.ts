/**
 * Elastic Path filter expressions, built from typed values. Caller text only ever appears as a
 * double-quoted, escaped operand, so it cannot close the operand, add a clause or change the
 * operator; the whole expression is URL-encoded by the client.
 */

export type Clause = string & { readonly __clause: unique symbol };

/** A quoted operand: backslashes and quotes escaped, so the value stays one operand. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function eq(field: string, value: string): Clause {
  return `eq(${field},${quote(value)})` as Clause;
}

/** Case-insensitive "contains": Elastic Path's `like` with `*` at both ends. */
export function contains(field: string, value: string): Clause {
  return `like(${field},${quote(`*${value}*`)})` as Clause;
}

/** `in(id,…)` over ids that are already validated UUIDs (no quoting needed or wanted). */
export function inIds(ids: readonly string[]): Clause {
  return `in(id,${ids.join(',')})` as Clause;
}

/** Joins clauses with `:` (AND); `undefined` when there are none. */
export function allOf(clauses: ReadonlyArray<Clause | undefined>): string | undefined {
  const present = clauses.filter((clause): clause is Clause => clause !== undefined);
  return present.length > 0 ? present.join(':') : undefined;
}

/** `eq(field,<uuid>)` for an id field, unquoted: the memberships endpoint documents no quoting. */
export function eqId(field: string, uuid: string): Clause {
  if (!/^[0-9a-f-]{36}$/i.test(uuid)) throw new TypeError('eqId takes a validated UUID');
  return `eq(${field},${uuid})` as Clause;
}
