/** Operation names come from callers: anything that is not a GraphQL name is shown as `invalid`. */
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export function operationLabel(name: string | undefined): string {
  if (name === undefined) return 'anonymous';
  return GRAPHQL_NAME.test(name) ? name : 'invalid';
}
