/**
 * `node dist/healthcheck.js`: the container's HEALTHCHECK, run inside the gateway's container.
 * Asks the gateway for GET /health on the HOST and PORT it was started with (read through
 * `loadConfig`, so both agree on them and on their defaults) and exits 0 on 200; anything else
 * exits 1 with the reason on stderr. Node itself makes the call, so the slim image needs no curl.
 */
import { get } from 'node:http';
import { isIPv6 } from 'node:net';
import { loadConfig, settingsOrExit } from './config.js';

/** Well inside the HEALTHCHECK's own `--timeout`, so a hung gateway is reported, not just killed. */
const TIMEOUT_MS = 2_000;

const { host, port } = settingsOrExit(() => loadConfig(process.env));
const url = `http://${reachable(host)}:${port}/health`;

/** Where a listener on `host` is reached from inside its container: a wildcard address on loopback. */
function reachable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return isIPv6(host) ? `[${host}]` : host;
}

function status(): Promise<number> {
  return new Promise((resolve, reject) => {
    // A connection of its own (no keep-alive agent), so nothing holds the process open afterwards.
    get(url, { agent: false, signal: AbortSignal.timeout(TIMEOUT_MS) }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
}

try {
  const code = await status();
  if (code !== 200) {
    process.stderr.write(`unhealthy: GET ${url} answered ${code}\n`);
    process.exitCode = 1;
  }
} catch (error) {
  const reason =
    error instanceof Error && error.name === 'AbortError'
      ? `no answer within ${TIMEOUT_MS} ms`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`unhealthy: GET ${url} failed: ${reason}\n`);
  process.exitCode = 1;
}
