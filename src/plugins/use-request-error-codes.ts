/** Gives the errors graphql-js reports without a code (bad variables) theirs: `codeRequestErrors`. */
import type { Plugin } from 'graphql-yoga';
import { codeRequestErrors } from '../domain/errors.js';

export function useRequestErrorCodes(): Plugin {
  return {
    onExecutionResult({ result, setResult }) {
      if (!result || !('errors' in result)) return;
      const errors = codeRequestErrors(result);
      if (errors) setResult({ ...result, errors });
    },
  };
}
