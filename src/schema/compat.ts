/**
 * Which SDL changes break clients and routers, and which of those are declared deliberate. Read
 * by `src/schema-compat.ts`, which compares the checked-in SDL with an earlier commit's.
 */
import { ChangeType, CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { buildASTSchema, parse } from 'graphql';

/** A change a client or router cannot take without changing first. */
export interface BreakingChange {
  /** The schema coordinate, such as `EnsuredAccountMembership.created`. */
  path: string;
  message: string;
}

/**
 * What breaks clients between two SDL texts: graphql-inspector's breaking changes, and a member
 * added to a union, which it rates only dangerous but which breaks a client's exhaustive switch
 * over a result union.
 */
export async function breakingChanges(before: string, after: string): Promise<BreakingChange[]> {
  const changes = await diff(schemaOf(before), schemaOf(after));
  return changes.filter(isBreaking).map((change) => ({ path: change.path ?? '(schema)', message: change.message }));
}

/** The breaking changes that neither a commit message nor the checked-in note declares. */
export function undeclared(changes: BreakingChange[], declarations: string): BreakingChange[] {
  const declared = new Set<string>();
  for (const line of declarations.split('\n')) {
    const trailer = /^\s*Schema-Breaking:\s*`?([\w.@-]+)`?/.exec(line);
    const listed = /^\s*[-*]\s+`([\w.@-]+)`/.exec(line);
    const path = trailer?.[1] ?? listed?.[1];
    if (path) declared.add(path);
  }
  return changes.filter((change) => !declared.has(change.path));
}

function isBreaking(change: Change): boolean {
  return change.criticality.level === CriticalityLevel.Breaking || change.type === ChangeType.UnionMemberAdded;
}

// The subgraph SDL uses federation directives it does not define; assumeValidSDL builds it anyway.
function schemaOf(sdl: string) {
  return buildASTSchema(parse(sdl), { assumeValidSDL: true });
}
