/**
 * Elastic Path's `filter` parameter: `op(field,value)` clauses joined with `:` (AND), at most
 * ten. An operand may be double-quoted, with `\"` and `\\` escapes inside, so it can hold `,`,
 * `)` or `:`. Text comparisons ignore case; `like` takes `*` at either end.
 */
import { badRequest } from './errors.js';

const MAX_FILTERS = 10;

export type Operator = 'eq' | 'like' | 'ilike' | 'in' | 'lt' | 'le' | 'gt' | 'ge';
const OPERATORS: ReadonlySet<string> = new Set<Operator>(['eq', 'like', 'ilike', 'in', 'lt', 'le', 'gt', 'ge']);

export interface FilterClause {
  readonly operator: string;
  readonly field: string;
  readonly operands: readonly string[];
}

export type FilterField<T> =
  | { readonly kind: 'text'; readonly operators: readonly Operator[]; readonly value: (item: T) => string | null | undefined }
  | { readonly kind: 'instant'; readonly operators: readonly Operator[]; readonly value: (item: T) => number };

export type FilterFields<T> = Readonly<Record<string, FilterField<T>>>;

export type Predicate<T> = (item: T) => boolean;

/** A predicate for `filter`, or undefined when there is nothing to filter on. */
export function compileFilter<T>(filter: string | undefined, fields: FilterFields<T>): Predicate<T> | undefined {
  if (filter === undefined || filter === '') return undefined;
  const predicates = parseFilter(filter).map((clause) => compileClause(clause, fields));
  return (item) => predicates.every((matches) => matches(item));
}

export function parseFilter(filter: string): FilterClause[] {
  const clauses: FilterClause[] = [];
  let at = 0;
  for (;;) {
    const operatorStart = at;
    while (at < filter.length && /[A-Za-z_]/.test(filter[at] as string)) at++;
    const operator = filter.slice(operatorStart, at);
    if (operator === '') throw syntaxError(filter, at, 'an operator such as eq');
    if (filter[at] !== '(') throw syntaxError(filter, at, `'(' after '${operator}'`);
    at++;
    const args: string[] = [];
    for (;;) {
      const [arg, next] = readArgument(filter, at);
      args.push(arg);
      at = next;
      if (filter[at] === ',') {
        at++;
      } else if (filter[at] === ')') {
        at++;
        break;
      } else {
        throw syntaxError(filter, at, "',' or ')'");
      }
    }
    const [field = '', ...operands] = args;
    clauses.push({ operator, field, operands });
    if (at === filter.length) break;
    if (filter[at] !== ':') throw syntaxError(filter, at, "':' between filters");
    at++;
  }
  if (clauses.length > MAX_FILTERS) {
    throw badRequest(`a filter may combine at most ${MAX_FILTERS} conditions, not ${clauses.length}`);
  }
  return clauses;
}

function readArgument(filter: string, start: number): [string, number] {
  if (filter[start] !== '"') {
    let end = start;
    while (end < filter.length && filter[end] !== ',' && filter[end] !== ')') end++;
    return [filter.slice(start, end), end];
  }
  let value = '';
  for (let at = start + 1; at < filter.length; at++) {
    const char = filter[at] as string;
    if (char === '"') return [value, at + 1];
    if (char === '\\' && (filter[at + 1] === '"' || filter[at + 1] === '\\')) {
      value += filter[++at];
    } else {
      value += char;
    }
  }
  throw badRequest(`invalid filter: the quoted value starting at position ${start + 1} has no closing '"'`);
}

function syntaxError(filter: string, at: number, expected: string) {
  const found = at < filter.length ? `'${filter[at]}'` : 'the end';
  return badRequest(`invalid filter: expected ${expected} at position ${at + 1}, found ${found}`);
}

function compileClause<T>(clause: FilterClause, fields: FilterFields<T>): Predicate<T> {
  const { operator, field: name, operands } = clause;
  if (!OPERATORS.has(operator)) throw badRequest(`invalid filter: unknown operator '${operator}'`);
  const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (field === undefined) {
    throw badRequest(`invalid filter: unknown field '${name}'; fields: ${Object.keys(fields).join(', ')}`);
  }
  if (!field.operators.includes(operator as Operator)) {
    throw badRequest(`invalid filter: operator '${operator}' is not supported on '${name}'; use ${field.operators.join(', ')}`);
  }
  if (operator === 'in' ? operands.length === 0 : operands.length !== 1) {
    throw badRequest(`invalid filter: '${operator}' takes a field and ${operator === 'in' ? 'at least one value' : 'one value'}`);
  }
  return field.kind === 'text'
    ? textPredicate(operator as Operator, operands, field.value)
    : instantPredicate(operator as Operator, operands[0] as string, field.value);
}

function textPredicate<T>(operator: Operator, operands: readonly string[], read: (item: T) => string | null | undefined): Predicate<T> {
  const lowered = operands.map((operand) => operand.toLowerCase());
  if (operator === 'in') {
    const wanted = new Set(lowered);
    return (item) => {
      const value = read(item);
      return value != null && wanted.has(value.toLowerCase());
    };
  }
  const operand = lowered[0] as string;
  if (operator === 'eq') {
    return (item) => read(item)?.toLowerCase() === operand;
  }
  const matches = likeMatcher(operand);
  return (item) => {
    const value = read(item);
    return value != null && matches(value.toLowerCase());
  };
}

function likeMatcher(pattern: string): (value: string) => boolean {
  const open = pattern.startsWith('*');
  const core = pattern.slice(open ? 1 : 0);
  const closed = !core.endsWith('*');
  const text = closed ? core : core.slice(0, -1);
  if (open && !closed) return (value) => value.includes(text);
  if (open) return (value) => value.endsWith(text);
  if (!closed) return (value) => value.startsWith(text);
  return (value) => value === text;
}

function instantPredicate<T>(operator: Operator, operand: string, read: (item: T) => number): Predicate<T> {
  const wanted = Date.parse(operand);
  if (Number.isNaN(wanted)) throw badRequest(`invalid filter: '${operand}' is not an ISO-8601 timestamp`);
  switch (operator) {
    case 'lt':
      return (item) => read(item) < wanted;
    case 'le':
      return (item) => read(item) <= wanted;
    case 'gt':
      return (item) => read(item) > wanted;
    case 'ge':
      return (item) => read(item) >= wanted;
    default:
      return (item) => read(item) === wanted;
  }
}

/** Field helpers for resource filter tables. */
export const textField = <T>(operators: readonly Operator[], value: (item: T) => string | null | undefined): FilterField<T> => ({
  kind: 'text',
  operators,
  value,
});

export const instantField = <T>(operators: readonly Operator[], value: (item: T) => number): FilterField<T> => ({
  kind: 'instant',
  operators,
  value,
});
