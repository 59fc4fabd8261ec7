/**
 * Elastic Path's error answers, with the exact titles and details the live service sends
 * (EP-BEHAVIOUR.md). Handlers and the store throw these; the dispatcher writes them.
 */
import type { ErrorBodyDto } from '../upstream/dto.js';

export class EpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    /** Answers made by Elastic Path's API gateway carry `status` as a number, not a string. */
    readonly fromApiGateway = false,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail ?? title);
    this.name = 'EpError';
  }

  toBody(): ErrorBodyDto {
    const status = this.fromApiGateway ? this.status : String(this.status);
    return { errors: [this.detail === undefined ? { status, title: this.title } : { status, title: this.title, detail: this.detail }] };
  }
}

export const invalidAccessToken = (): EpError => new EpError(401, 'Unable to validate access token', undefined, true);

export const invalidClientCredentials = (): EpError => new EpError(401, 'Unauthorized');

export const forbidden = (): EpError => new EpError(403, 'Forbidden', 'forbidden');

export const accountNotFound = (): EpError => new EpError(404, 'Not Found', 'account not found');

export const accountMemberNotFound = (): EpError => new EpError(404, 'Not Found', 'not found');

export const membershipNotFound = (): EpError =>
  new EpError(404, 'Not Found', 'Repository.GetAccountMembership failed: account membership not found');

export const membershipExists = (): EpError =>
  new EpError(409, 'Conflict', 'account membership with the given account id and account member id already exists');

export const membershipLimitExceeded = (): EpError =>
  new EpError(400, 'Bad Request', 'the number of account memberships with a particular account exceeds the limit');

export const validationFailed = (field: string, tag: string, status: 400 | 422): EpError =>
  new EpError(status, status === 422 ? 'Unprocessable Entity' : 'Bad Request', `Validation failed: field '${field}' on the '${tag}' tag.`);

export const badRequest = (detail: string): EpError => new EpError(400, 'Bad Request', detail);

export const routeNotFound = (): EpError => new EpError(404, 'Not Found', 'the requested route does not exist');

export const methodNotAllowed = (allowed: readonly string[]): EpError =>
  new EpError(405, 'Method Not Allowed', `allowed methods: ${allowed.join(', ')}`, false, { allow: allowed.join(', ') });

export const payloadTooLarge = (limitBytes: number): EpError =>
  new EpError(413, 'Payload Too Large', `the request body exceeds ${limitBytes} bytes`, false, { connection: 'close' });

export const uriTooLong = (limitBytes: number): EpError => new EpError(414, 'URI Too Long', `the request line exceeds ${limitBytes} bytes`);

export const internalError = (): EpError => new EpError(500, 'Internal Server Error', 'there was a problem processing your request');
