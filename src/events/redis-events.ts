/**
 * The membership event bus across replicas (REDIS_URL): events travel through Redis pub/sub on
 * Yoga's `@graphql-yoga/redis-event-target`, and the memory of what was already published
 * (deduplication keys, tombstones) and of each membership's account lives in Redis, with the same
 * expiry as in process. Every replica then sees every event, whichever replica Elastic Path
 * delivered it to or whichever replica made the write, and each change is published once.
 *
 * Two connections, as pub/sub needs: one for commands and publishing, one that only listens.
 *
 * - The command connection never queues behind a dead Redis (no offline queue, a command timeout,
 *   no retries inside a call), as the quota's does. A claim or a publish that fails rejects: the
 *   webhook answers 503 so that Elastic Path delivers again, and the gateway's own write only logs.
 *   There is deliberately no in-process fallback for the deduplication memory: a replica deciding
 *   alone would publish again what another replica already published, and a fleet cannot tell
 *   its subscribers which copy was real. Refusing the delivery, and a RESYNC once Redis is back,
 *   tells the truth instead.
 * - The listening connection reconnects in the background and resubscribes its channels. Whatever
 *   was published while it was away is lost to this replica's subscribers, so once it is back (and
 *   its channels are subscribed again) `restored` is called, and the bus sends each one a RESYNC.
 *
 * The client library is loaded only with REDIS_URL, so a gateway without it does not pay for it.
 */
import { createRequire } from 'node:module';
import type { CreateRedisEventTargetArgs } from '@graphql-yoga/redis-event-target';
import type { RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import type { ClaimOutcome, EventStore } from './store.js';

export interface RedisEventsSettings {
  /** REDIS_URL */
  url: string;
  /** REDIS_TIMEOUT_MS: how long one command may take. */
  timeoutMs: number;
}

export interface RedisEvents {
  /** Yoga's Redis event target: what one replica dispatches, every replica's listeners receive. */
  eventTarget: EventTarget;
  /** Deduplication, tombstones and routes, shared by the fleet. */
  store: EventStore;
  /** Resolves once the event just dispatched on `eventTarget` reached Redis; rejects when it did not. */
  dispatched(): Promise<void>;
  /** Called each time the listening connection is back after a loss (not on the first connect). */
  onRestored(listener: () => void): void;
  /** 1 while both connections are up, 0 otherwise (a gauge). */
  connected(): number;
  close(): Promise<void>;
}

/** Keys share one hash tag, so a Redis Cluster keeps a claim's key and its tombstone on one node. */
const PREFIX = 'ep-gateway:{events}:';

/**
 * One atomic check-and-set: tombstoned when the tombstone (KEYS[2], when given) is held, a
 * duplicate when the key is, otherwise the key is set with its expiry.
 */
const CLAIM = `
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return 'tombstoned' end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 'claimed' end
return 'duplicate'
`;

interface EventCommands {
  eventClaim(key: string, tombstone: string, ttlMs: number, checkTombstone: '0' | '1'): Promise<ClaimOutcome>;
}

export function createRedisEvents(settings: RedisEventsSettings, logger: Logger): RedisEvents {
  const require = createRequire(import.meta.url);
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const { createRedisEventTarget } = require('@graphql-yoga/redis-event-target') as typeof import('@graphql-yoga/redis-event-target');

  const common: RedisOptions = {
    connectTimeout: Math.max(1_000, settings.timeoutMs),
    // Reconnects in the background forever, at most a second apart.
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  };
  const commands = new Redis(settings.url, {
    ...common,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: settings.timeoutMs,
    autoResendUnfulfilledCommands: false,
  });
  // The listener's SUBSCRIBEs are sent by the event target without waiting for them: they queue
  // until the connection is up instead of failing, and are sent again after a reconnect.
  const listener = new Redis(settings.url, { ...common, maxRetriesPerRequest: null, autoResubscribe: true });
  commands.defineCommand('eventClaim', { numberOfKeys: 2, lua: CLAIM });
  const claimCommand = commands as unknown as EventCommands;

  const up = { commands: false, listener: false };
  let closing = false;
  // Each switch is logged once: shared once both connections are up, unavailable once either
  // closes (a Redis that never answers closes each attempt, so it is logged too).
  let shared: boolean | undefined;
  let lastError: Error | undefined;
  const connectionUp = () => {
    if (!up.commands || !up.listener || shared === true) return;
    shared = true;
    logger.info('membership events shared through Redis');
  };
  const connectionLost = () => {
    if (closing || shared === false) return;
    shared = false;
    logger.warn(
      { reason: lastError?.message ?? 'Redis is not connected' },
      'membership events: Redis unavailable, webhook deliveries answered 503 until it returns',
    );
  };
  const failed = (which: string) => (error: Error) => {
    lastError = error;
    logger.debug({ err: { message: error.message } }, `redis connection error (${which})`);
  };
  const restoredListeners: Array<() => void> = [];
  let listenerLost = false;

  commands.on('ready', () => {
    up.commands = true;
    connectionUp();
  });
  commands.on('close', () => {
    up.commands = false;
    connectionLost();
  });
  commands.on('error', failed('membership events'));
  listener.on('ready', () => {
    up.listener = true;
    connectionUp();
    if (!listenerLost) return;
    listenerLost = false;
    // ioredis has sent the SUBSCRIBEs again before 'ready'; a PING answered after them proves
    // they are in force, so nothing published after the RESYNC is missed.
    listener.ping().then(
      () => {
        for (const restored of restoredListeners) restored();
      },
      () => {
        // Lost again: the next 'ready' tries once more.
        listenerLost = true;
      },
    );
  });
  listener.on('close', () => {
    if (up.listener) listenerLost = true;
    up.listener = false;
    connectionLost();
  });
  listener.on('error', failed('membership event listener'));

  // The event target only ever publishes through `publishClient`; keeping the promise of each
  // PUBLISH lets the bus wait until the event has left this process, and see when it has not.
  let lastPublish: Promise<unknown> = Promise.resolve();
  const publishClient = {
    publish(channel: string, message: string) {
      lastPublish = commands.publish(channel, message);
      lastPublish.catch(() => {});
      return lastPublish;
    },
  } as unknown as CreateRedisEventTargetArgs['publishClient'];
  // It sends SUBSCRIBE and UNSUBSCRIBE without waiting for them either: one still queued when the
  // connection is closed (a drain while Redis is down) fails, and is only worth a debug line.
  const quietly = (what: string) => (error: Error) =>
    logger.debug({ err: { message: error.message } }, `redis ${what} failed (membership events)`);
  const subscribeClient = {
    on: (event: 'message', handler: (channel: string, message: string) => void) => listener.on(event, handler),
    subscribe: (channel: string) => listener.subscribe(channel).catch(quietly('SUBSCRIBE')),
    unsubscribe: (channel: string) => listener.unsubscribe(channel).catch(quietly('UNSUBSCRIBE')),
  } as unknown as CreateRedisEventTargetArgs['subscribeClient'];
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient }) as unknown as EventTarget;

  const key = (name: string) => `${PREFIX}${name}`;
  const store: EventStore = {
    claim: (name, ttlMs, unless) => claimCommand.eventClaim(key(name), key(unless ?? name), ttlMs, unless === undefined ? '0' : '1'),
    release: async (name) => {
      await commands.del(key(name));
    },
    rememberAccount: async (membershipId, accountId, ttlMs) => {
      await commands.set(key(`account:${membershipId}`), accountId, 'PX', ttlMs);
    },
    accountOf: async (membershipId) => (await commands.get(key(`account:${membershipId}`))) ?? undefined,
  };

  return {
    eventTarget,
    store,
    dispatched: async () => {
      await lastPublish;
    },
    onRestored: (restored) => restoredListeners.push(restored),
    connected: () => (up.commands && up.listener ? 1 : 0),
    async close() {
      closing = true;
      commands.disconnect();
      listener.disconnect();
    },
  };
}
