/**
 * Elastic Path's Integrations, as far as a webhook needs them: integrations created, listed and
 * deleted through `/v2/integrations`, and deliveries of `account-membership.*` events for writes
 * made through the emulator, in the documented payload shape with `X-MOLTIN-SECRET-KEY`.
 *
 * Like Elastic Path, delivery is at least once and may be out of order; a non-2xx answer (or none)
 * is retried with the next `attempt`. Delivery faults make that visible on purpose:
 * `duplicate` sends every event twice, `delayMs` holds each delivery, `reorder` swaps each pair of
 * consecutive events (the second is sent first), and `maxAttempts` bounds the retries.
 */
import { randomUUID } from 'node:crypto';
import type { AccountMembershipDto } from '../upstream/dto.js';

export interface StoredIntegration {
  id: string;
  type: 'integration';
  name: string;
  description: string;
  enabled: boolean;
  integration_type: 'webhook';
  observes: string[];
  configuration: { url: string; secret_key?: string };
}

export interface DeliveryFaults {
  /** Send every event twice (same id and attempt), as at-least-once delivery may. */
  duplicate?: boolean;
  /** Hold each delivery this long first. */
  delayMs?: number;
  /** Swap each pair of consecutive events: the later is sent first. */
  reorder?: boolean;
  /** Attempts per event, the first included, while the webhook answers non-2xx. @default 5 */
  maxAttempts?: number;
  /** Wait before the second attempt; doubles per attempt. @default 50 */
  retryBaseMs?: number;
}

/** One attempt sent to a webhook, as the tests and the log see it. */
export interface DeliveryAttempt {
  integrationId: string;
  eventId: string;
  triggeredBy: string;
  attempt: number;
  status: number | 'failed';
}

export type MembershipEventName = 'account-membership.created' | 'account-membership.updated' | 'account-membership.deleted';

export class Integrations {
  private readonly byId = new Map<string, StoredIntegration>();
  private held: (() => void) | undefined;
  private heldTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  faults: DeliveryFaults = {};
  /** Every attempt made, in order. */
  readonly attempts: DeliveryAttempt[] = [];

  create(input: Omit<StoredIntegration, 'id' | 'type'>): StoredIntegration {
    const integration: StoredIntegration = { id: randomUUID(), type: 'integration', ...input };
    this.byId.set(integration.id, integration);
    return integration;
  }

  list(): StoredIntegration[] {
    return [...this.byId.values()];
  }

  get(id: string): StoredIntegration | undefined {
    return this.byId.get(id);
  }

  delete(id: string): boolean {
    return this.byId.delete(id);
  }

  clear(): void {
    this.byId.clear();
    this.attempts.length = 0;
    this.faults = {};
  }

  /** Resolves once every delivery started so far has finished (sent, or out of attempts). */
  async settled(): Promise<void> {
    while (this.pending.size > 0 || this.held) {
      this.flushHeld();
      await Promise.all([...this.pending]);
    }
  }

  /** A membership changed through the API: each webhook observing the event gets a delivery. */
  emit(event: MembershipEventName, membership: AccountMembershipDto & { links?: unknown }): void {
    const payload = event === 'account-membership.deleted' ? { type: 'account_membership', id: membership.id } : { data: membership };
    for (const integration of this.byId.values()) {
      if (!integration.enabled || !integration.observes.includes(event)) continue;
      const id = randomUUID();
      const send = () => {
        this.track(this.deliver(integration, id, event, payload));
        if (this.faults.duplicate) this.track(this.deliver(integration, id, event, payload));
      };
      if (!this.faults.reorder) {
        send();
      } else if (this.held) {
        // The later event first, then the one held back.
        const earlier = this.held;
        this.held = undefined;
        clearTimeout(this.heldTimer);
        send();
        earlier();
      } else {
        this.held = send;
        // A lone event is not held for ever.
        this.heldTimer = setTimeout(() => this.flushHeld(), 500);
        this.heldTimer.unref();
      }
    }
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = undefined;
    clearTimeout(this.heldTimer);
    held?.();
  }

  private track(delivery: Promise<void>): void {
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  }

  private async deliver(integration: StoredIntegration, id: string, event: string, payload: unknown): Promise<void> {
    const maxAttempts = this.faults.maxAttempts ?? 5;
    const retryBaseMs = this.faults.retryBaseMs ?? 50;
    if (this.faults.delayMs) await new Promise((resolve) => setTimeout(resolve, this.faults.delayMs));
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const body = {
        id,
        triggered_by: event,
        attempt,
        integration: {
          id: integration.id,
          integration_type: integration.integration_type,
          name: integration.name,
          description: integration.description,
        },
        resources: JSON.stringify(payload),
        payload,
        // Elastic Path echoes the integration's configuration, secret included.
        configuration: integration.configuration,
      };
      let status: number | 'failed';
      try {
        const response = await fetch(integration.configuration.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(integration.configuration.secret_key !== undefined && { 'x-moltin-secret-key': integration.configuration.secret_key }),
          },
          body: JSON.stringify(body),
          // Elastic Path counts a webhook that takes longer than 10 s as failed.
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 'failed';
      }
      this.attempts.push({ integrationId: integration.id, eventId: id, triggeredBy: event, attempt, status });
      if (typeof status === 'number' && status >= 200 && status < 300) return;
      if (attempt < maxAttempts) await new Promise((resolve) => setTimeout(resolve, retryBaseMs * 2 ** (attempt - 1)));
    }
  }
}
