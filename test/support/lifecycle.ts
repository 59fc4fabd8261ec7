/** Helpers for the tests that run the gateway as a process and stop it. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { StartedProcess } from './child-process.js';
import { MEMBER_ID, TOKEN } from './ids.js';
import { memberBody } from './bodies.js';
import type { ScriptedUpstream } from './scripted-upstream.js';

export const settings = (env: Record<string, string>) => ({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env });

/**
 * Waits for the process (or, under npm, its child) to log the URL it serves: under `npm start`,
 * after compiling the gateway, which a loaded machine can make slow.
 */
export async function served(process: StartedProcess) {
  const [, url = ''] = await process.waitFor(/"url":"(http:\/\/[^"]+)\/graphql"/, 60_000);
  return { ...process, url };
}

export const readMember = (url: string) =>
  fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: TOKEN },
    body: JSON.stringify({ query: `{ accountMember(id: "${MEMBER_ID}") { name } }` }),
  });

/**
 * A member read that Elastic Path has received and holds until `answer()`: in flight for as long
 * as the test needs, however slow the machine, instead of for a fixed delay.
 */
export async function operationInFlight(upstream: ScriptedUpstream, url: string) {
  let answer!: () => void;
  upstream.reply({ status: 200, json: memberBody(), until: new Promise<void>((resolve) => (answer = resolve)) });
  const response = readMember(url);
  await upstream.whenReceived(1);
  return { response, answer };
}

export async function expectAnswered(response: Promise<Response>) {
  const answer = await response;
  expect(answer.status).toBe(200);
  expect(await answer.json()).toEqual({
    data: { accountMember: { name: 'Ron Swanson' } },
    extensions: { cost: { estimated: 1, actual: 1 } },
  });
}

/** The pids of a process's children (Linux). */
export function childrenOf(pid: number | undefined): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/**
 * Whether the process still runs (Linux). A process that has exited but whose new parent (an
 * orphan's adopter, such as PID 1) has not reaped it yet is a zombie: it answers signals, but it
 * has stopped.
 */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // `pid (comm) state …`: comm may hold spaces and parentheses, so read the state after the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
