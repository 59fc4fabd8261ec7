/** `/v2/integrations`: create, list, get and delete webhook integrations (see ../integrations.ts). */
import { isObject } from '../../upstream/json.js';
import { pathParam, type Handler } from '../context.js';
import { EpError, badRequest } from '../errors.js';
import type { StoredIntegration } from '../integrations.js';

const notFound = () => new EpError(404, 'Not Found', 'The resource could not be found');
const invalid = (detail: string) => new EpError(422, 'Validation Error', detail);

const withLinks = (origin: string, integration: StoredIntegration) => ({
  ...integration,
  links: { self: `${origin}/v2/integrations/${integration.id}` },
});

export const createIntegration: Handler = (context) => {
  let body: unknown;
  try {
    body = JSON.parse(context.body);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
  const data = isObject(body) ? body.data : undefined;
  if (!isObject(data) || data.type !== 'integration') throw invalid("data.type must be 'integration'");
  if (typeof data.name !== 'string' || data.name === '') throw invalid('data.name is required');
  if ((data.integration_type ?? 'webhook') !== 'webhook') throw invalid('only webhook integrations are emulated');
  const observes = data.observes;
  if (!Array.isArray(observes) || !observes.every((event) => typeof event === 'string'))
    throw invalid('data.observes must be a list of events');
  const configuration = data.configuration;
  if (!isObject(configuration) || typeof configuration.url !== 'string' || !/^https?:\/\//.test(configuration.url)) {
    throw invalid('data.configuration.url must be an http(s) URL');
  }
  if (configuration.secret_key !== undefined && typeof configuration.secret_key !== 'string')
    throw invalid('data.configuration.secret_key must be a string');
  const integration = context.integrations.create({
    name: data.name,
    description: typeof data.description === 'string' ? data.description : '',
    enabled: data.enabled !== false,
    integration_type: 'webhook',
    observes: observes as string[],
    configuration: {
      url: configuration.url,
      ...(configuration.secret_key !== undefined && { secret_key: configuration.secret_key as string }),
    },
  });
  return { status: 200, body: { data: withLinks(context.origin, integration) } };
};

export const listIntegrations: Handler = (context) => ({
  status: 200,
  body: { data: context.integrations.list().map((integration) => withLinks(context.origin, integration)) },
});

export const getIntegration: Handler = (context) => {
  const integration = context.integrations.get(pathParam(context, 'integrationId'));
  if (!integration) throw notFound();
  return { status: 200, body: { data: withLinks(context.origin, integration) } };
};

export const deleteIntegration: Handler = (context) => {
  if (!context.integrations.delete(pathParam(context, 'integrationId'))) throw notFound();
  return { status: 204 };
};
