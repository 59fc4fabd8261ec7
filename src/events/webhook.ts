/**
 * `POST /webhooks/elastic-path` (EP_WEBHOOK_PATH): Elastic Path's integration deliveries, on only
 * when EP_WEBHOOK_SECRET is set. Each delivery is checked (its `X-MOLTIN-SECRET-KEY`, in constant
 * time; its JSON shape), handed to the event bus, and acknowledged once the bus has it: publishing
 * reaches subscribers' queues and never waits on them. The body is never logged: it echoes the
 * integration's configuration, secret included. The node server has already bounded its size
 * (MAX_BODY_BYTES, 413) and parsed it.
 *
 * Every well-formed delivery the bus took is answered 2xx, whatever became of it (published, a
 * duplicate, a create after its delete, unroutable, an event type the gateway does not use):
 * another attempt would come to the same. One the bus could not take (with REDIS_URL, Redis down
 * or too slow) is answered 503, so that Elastic Path delivers it again. A wrong secret is 401 and
 * a malformed body 400, so that they show in Elastic Path's integration logs.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObject } from '../upstream/json.js';
import type { Logger } from '../observability/logger.js';
import { isAccountMembership } from '../upstream/shapes.js';
import type { AccountMembershipDto } from '../upstream/dto.js';
import type { EventBus, ObservedChange, PublishOutcome } from './bus.js';

/** What a delivery came to, as counted in `webhook_deliveries_total`. */
export type DeliveryOutcome = PublishOutcome | 'ignored' | 'unauthorized' | 'malformed' | 'unavailable';

export interface WebhookOptions {
  secret: string;
  bus: EventBus;
  logger: Logger;
  delivered?: (outcome: DeliveryOutcome) => void;
}

const TYPES: Record<string, ObservedChange['type']> = {
  'account-membership.created': 'CREATED',
  'account-membership.updated': 'UPDATED',
  'account-membership.deleted': 'DELETED',
};

/** `/v2/accounts/{accountId}/account-memberships/{membershipId}` at the end of a `links.self`. */
const SELF_LINK = /\/v2\/accounts\/([0-9a-fA-F-]{36})\/account-memberships\/([0-9a-fA-F-]{36})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function webhookReceiver({ secret, bus, logger, delivered }: WebhookOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = digest(secret);
  const answer = (res: ServerResponse, status: number, outcome: DeliveryOutcome, message?: string) => {
    delivered?.(outcome);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(message === undefined ? { outcome } : { outcome, message }));
  };

  return (req, res) => {
    if (req.method !== 'POST') {
      res
        .writeHead(405, { allow: 'POST', 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'Only POST is served here.' }));
      return;
    }
    const sent = req.headers['x-moltin-secret-key'];
    if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), expected)) {
      logger.warn({ path: req.url?.split('?')[0] }, 'webhook delivery refused: wrong or missing X-MOLTIN-SECRET-KEY');
      answer(res, 401, 'unauthorized', 'X-MOLTIN-SECRET-KEY is missing or wrong.');
      return;
    }
    const body = (req as IncomingMessage & { body?: unknown }).body;
    const delivery = readDelivery(body);
    if (typeof delivery === 'string') {
      logger.warn({ problem: delivery }, 'webhook delivery refused: malformed');
      answer(res, 400, 'malformed', delivery);
      return;
    }
    const log = { eventId: delivery.id, triggeredBy: delivery.triggeredBy, attempt: delivery.attempt };
    if (!delivery.change) {
      logger.info({ ...log, outcome: 'ignored' }, 'webhook delivery');
      answer(res, 200, 'ignored');
      return;
    }
    bus.publish(delivery.change).then(
      (outcome) => {
        logger.info({ ...log, outcome }, 'webhook delivery');
        answer(res, 200, outcome);
      },
      (error: unknown) => {
        // Not on the bus: a non-2xx makes Elastic Path deliver it again.
        logger.error({ ...log, err: error }, 'webhook delivery not handed to the event bus');
        answer(res, 503, 'unavailable', 'The event bus is unavailable; deliver again later.');
      },
    );
  };
}

/** Both sides hashed first: equal lengths for timingSafeEqual, and the secret's length does not leak. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

interface Delivery {
  id: string;
  triggeredBy: string;
  attempt: number;
  /** Undefined for an event type the gateway does not use. */
  change?: ObservedChange;
}

/** The delivery, or what is wrong with it (a sentence that never quotes the body). */
function readDelivery(body: unknown): Delivery | string {
  if (!isObject(body)) return 'The body must be a JSON object (Elastic Path sends application/json).';
  const { id, triggered_by: triggeredBy, attempt, payload } = body;
  if (typeof id !== 'string' || id === '' || id.length > 128) return 'id must be a non-empty string.';
  if (typeof triggeredBy !== 'string' || triggeredBy.length > 128) return 'triggered_by must be a string.';
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 1) return 'attempt must be a whole number from 1.';
  const type = TYPES[triggeredBy];
  if (!type) return { id, triggeredBy, attempt };
  if (!isObject(payload)) return 'payload must be an object.';
  // What every change from a delivery shares; the rest is read from its payload.
  const delivered = (fields: Omit<ObservedChange, 'type' | 'id' | 'source'>): Delivery => ({
    id,
    triggeredBy,
    attempt,
    change: { type, id, source: 'ELASTIC_PATH', ...fields },
  });
  if (type === 'DELETED') {
    // A deletion's payload is only the resource's type and id.
    if (payload.type !== 'account_membership' || typeof payload.id !== 'string' || !UUID.test(payload.id)) {
      return 'payload of account-membership.deleted must be { type: "account_membership", id }.';
    }
    // Routed from memory alone: a deletion names neither the account nor the member, nor a time.
    return delivered({
      membershipId: payload.id.toLowerCase(),
      accountId: undefined,
      accountMemberId: null,
      record: null,
      occurredAt: null,
    });
  }
  const data = payload.data;
  if (!isAccountMembership(data) || !UUID.test(data.id)) return `payload.data of ${triggeredBy} must be an account membership.`;
  const record = data as AccountMembershipDto & { links?: { self?: unknown } };
  const self = typeof record.links?.self === 'string' ? SELF_LINK.exec(record.links.self) : null;
  // The link names the account only when it names this very membership.
  const accountId = self && self[2]?.toLowerCase() === data.id.toLowerCase() ? self[1]?.toLowerCase() : undefined;
  return delivered({
    membershipId: data.id.toLowerCase(),
    accountId,
    accountMemberId: data.relationships.account_member.data.id.toLowerCase(),
    record: { id: data.id, type: data.type, meta: data.meta, relationships: data.relationships } as AccountMembershipDto,
    occurredAt: type === 'CREATED' ? data.meta.timestamps.created_at : data.meta.timestamps.updated_at,
  });
}
