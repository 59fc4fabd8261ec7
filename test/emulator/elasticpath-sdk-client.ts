/**
 * Elastic Path's official JS SDK (`@elasticpath/js-sdk`), pointed at a local base URL such as the
 * emulator's.
 *
 * What it needs in Node 20, from its source (dist/index.cjs.js):
 * - fetch: it uses the global one (cross-fetch only fills in when there is none);
 * - storage: by default it keeps credentials with node-localstorage in a `./localStorage`
 *   directory of the working directory, so each client here gets its own `MemoryStorageFactory`;
 * - a host: `host` takes `name:port`, and `protocol` (read by its `Config`, though missing from
 *   the `ConfigOptions` typings, which type `Config.protocol` as `'https'`) switches to plain
 *   http. There is no base-URL option; `custom_fetch` could rewrite URLs instead.
 */
import { gateway, MemoryStorageFactory, type ConfigOptions, type ElasticPath } from '@elasticpath/js-sdk';

/** `ConfigOptions` plus the option the SDK reads but its typings leave out. */
export type SdkOptions = ConfigOptions & { protocol?: 'http' | 'https' };

export interface SdkClient {
  readonly sdk: ElasticPath;
  /** Where the SDK keeps its credentials (under `epCredentials`, or `<name>_ep_credentials`). */
  readonly storage: MemoryStorageFactory;
}

export function createSdkClient(baseUrl: string, options: Partial<SdkOptions> = {}): SdkClient {
  const url = new URL(baseUrl);
  const storage = new MemoryStorageFactory();
  const config: SdkOptions = {
    client_id: 'demo-client',
    client_secret: 'demo-secret',
    host: url.host,
    protocol: url.protocol === 'http:' ? 'http' : 'https',
    storage,
    // Retries after a 401 or 429 wait `attempt * retryDelay + random(retryJitter)` ms; 0 means the
    // 1000 ms default, so 1 keeps tests fast.
    retryDelay: 1,
    retryJitter: 1,
    ...options,
  };
  return { sdk: gateway(config), storage };
}
