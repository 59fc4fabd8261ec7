/**
 * The one place where caller-supplied values enter an upstream URL: `epRoute` makes each id
 * exactly one encoded path segment, so no id can add a segment, climb with `..`, start a query
 * string or name another origin.
 */

function encodeSegment(segment: string): string {
  if (segment === '' || segment === '.' || segment === '..') {
    // encodeURIComponent leaves these as they are, and each would change which resource is meant.
    throw new TypeError(`Refusing to use ${JSON.stringify(segment)} as a path segment`);
  }
  return encodeURIComponent(segment);
}

/** A request's path and the template it came from (ids as `{names}`), which metrics and spans show. */
export interface EpRoute {
  route: string;
  path: string;
}

/** `epRoute('/v2/accounts/{accountId}', { accountId })`: each `{name}` becomes one encoded segment. */
export function epRoute(route: string, ids: Record<string, string> = {}): EpRoute {
  const parts = templates.get(route) ?? split(route);
  let path = parts[0] as string;
  for (let index = 1; index < parts.length; index += 2) {
    const name = parts[index] as string;
    const id = ids[name];
    if (id === undefined) throw new TypeError(`No value for {${name}} in ${route}`);
    path += encodeSegment(id) + (parts[index + 1] as string);
  }
  return { route, path };
}

/** Each route's literal text and `{names}`, alternating, split once: routes are a handful of constants. */
const templates = new Map<string, string[]>();

function split(route: string): string[] {
  const parts = route.split(/\{(\w+)\}/);
  templates.set(route, parts);
  return parts;
}
