/**
 * Reads a request target (`/path?query`) strictly: `URL` would resolve `..`, read `//host/...`
 * as another origin and keep malformed percent-escapes as they are; Elastic Path answers 400
 * for a target it cannot decode, and so does the emulator.
 */
import { badRequest } from './errors.js';

export interface RequestTarget {
  /** Decoded path segments, without the leading empty one and without a trailing slash. */
  readonly segments: readonly string[];
  /** `segments` encoded again: the canonical path that links repeat. */
  readonly pathname: string;
  /** The first value of each query parameter, decoded, with `+` read as a space. */
  readonly params: ReadonlyMap<string, string>;
}

export function parseRequestTarget(target: string): RequestTarget {
  if (!target.startsWith('/')) {
    throw badRequest('the request target must be an absolute path');
  }
  const queryStart = target.indexOf('?');
  const rawPathname = queryStart === -1 ? target : target.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : target.slice(queryStart + 1);

  const rawSegments = rawPathname.split('/').slice(1);
  if (rawSegments.length > 1 && rawSegments.at(-1) === '') {
    rawSegments.pop();
  }
  const segments = rawSegments.map((segment) => decode(segment, 'the request path'));
  return {
    segments,
    pathname: `/${segments.map(encodeURIComponent).join('/')}`,
    params: parseQuery(rawQuery),
  };
}

function parseQuery(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawName = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    const name = decode(rawName.replaceAll('+', ' '), 'a query parameter name');
    if (params.has(name)) continue;
    params.set(name, decode(rawValue.replaceAll('+', ' '), `query parameter '${name}'`));
  }
  return params;
}

function decode(text: string, where: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw badRequest(`malformed percent-encoding in ${where}`);
  }
}
