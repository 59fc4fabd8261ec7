/**
 * Builds an upstream path from a template whose interpolations are ids. This is the one place
 * where caller-supplied values enter a URL: each value becomes exactly one encoded path segment,
 * so no id can add a segment, climb with `..`, start a query string or name another origin.
 *
 *   epPath`/v2/accounts/${accountId}/account-memberships`
 */
export function epPath(template: TemplateStringsArray, ...segments: string[]): string {
  let path = template[0] ?? '';
  segments.forEach((segment, index) => {
    path += encodeSegment(segment) + (template[index + 1] ?? '');
  });
  return path;
}

function encodeSegment(segment: string): string {
  if (segment === '' || segment === '.' || segment === '..') {
    // encodeURIComponent leaves these as they are, and each would change which resource is meant.
    throw new TypeError(`Refusing to use ${JSON.stringify(segment)} as a path segment`);
  }
  return encodeURIComponent(segment);
}
