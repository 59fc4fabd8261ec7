/**
 * Elastic Path's webhook deliveries as its Integrations API sends them (`integrations.yaml`): the
 * event id, `triggered_by`, `attempt`, the integration, the payload, and the integration's
 * configuration echoed back, secret included. Tests deliver them to a gateway's receiver.
 */
import { randomUUID } from 'node:crypto';

/** The webhook secret the tests' gateways are given (EP_WEBHOOK_SECRET). */
export const WEBHOOK_SECRET = 'webhook-secret-for-tests-0123456789';

interface DeliveryOptions {
  id?: string;
  attempt?: number;
  /** The integration's configured URL, which Elastic Path echoes. */
  url?: string;
}

function delivery(triggeredBy: string, payload: unknown, options: DeliveryOptions) {
  return {
    id: options.id ?? randomUUID(),
    triggered_by: triggeredBy,
    attempt: options.attempt ?? 1,
    integration: { id: randomUUID(), integration_type: 'webhook', name: 'memberships', description: '' },
    payload,
    configuration: { url: options.url ?? 'https://gateway.example.com/webhooks/elastic-path', secret_key: WEBHOOK_SECRET },
  };
}

/** A created or updated membership's delivery: the record (with its links, as given) in `payload.data`. */
export const membershipDelivery = (triggeredBy: string, record: Record<string, unknown>, options: DeliveryOptions = {}) =>
  delivery(triggeredBy, { data: record }, options);

/** A deletion's delivery: its payload is only the resource's type and id. */
export const deletionDelivery = (membershipId: string, options: DeliveryOptions = {}) =>
  delivery('account-membership.deleted', { type: 'account_membership', id: membershipId }, options);

/** POSTs a delivery to the gateway's receiver at `gatewayUrl`, with the secret Elastic Path sends. */
export function deliver(gatewayUrl: string, body: unknown, secret = WEBHOOK_SECRET): Promise<Response> {
  return fetch(`${gatewayUrl}/webhooks/elastic-path`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-moltin-secret-key': secret },
    body: JSON.stringify(body),
  });
}
