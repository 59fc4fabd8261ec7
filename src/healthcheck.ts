/**
 * `node dist/healthcheck.js`: the container's HEALTHCHECK, run inside the gateway's container.
 * Asks the gateway for GET /health on the PORT it was started with (read through `loadConfig`, so
 * both agree on the port and on its default) and exits 0 on 200; anything else exits 1 with the
 * reason on stderr. Node itself makes the call, so the slim image needs no curl.
 */
import { get } from 'node:http';
import { loadConfig, settingsOrExit } from './config.js';

/** Well inside the HEALTHCHECK's own `--timeout`, so a hung gateway is reported, not just killed. */
const TIMEOUT_MS = 2_000;

const { port } = settingsOrExit(() => loadConfig(process.env));
const url = `http://127.0.0.1:${port}/health`;

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
