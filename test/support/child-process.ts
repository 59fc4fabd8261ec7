/**
 * Runs a project entry point as its own process and keeps everything it prints: tests wait for a
 * line, read stdout or stderr, and see the whole output when the line never comes. TypeScript
 * sources run as `npm run dev` runs them (`node --import tsx <script>`); the built gateway as
 * production runs it (`node dist/server.js`), with `GATEWAY_NODE` choosing the Node binary (CI
 * sets it to Node 22 and 24); `startCommand` runs anything else, such as `npm start`.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface StartProcessOptions {
  /** Command-line arguments after the script. */
  args?: string[];
  /** Settings added to this process's environment. */
  env?: Record<string, string>;
  /** Start it as the leader of a new process group, so a test can signal the whole group. */
  detached?: boolean;
  /** Open an IPC channel (`child.send`, `'message'`), as `fork` does. */
  ipc?: boolean;
}

/** The Node binary the built gateway runs on: `GATEWAY_NODE`, or this test's own. */
export const gatewayNode = process.env.GATEWAY_NODE || process.execPath;

export interface StartedProcess {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr in the order it arrived. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /**
   * The first match of `pattern` in the output, as soon as it is printed. Rejects, quoting the
   * output, if the process ends first or nothing matches within `timeoutMs`.
   */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /**
   * The exit code (null when a signal ended the process), once the process has ended and its
   * output has been read to the end.
   */
  exited: Promise<number | null>;
  /** Sends `signal` unless the process has already ended; resolves as `exited` does. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends `signal` to the process's whole group (started `detached`), as a terminal's Ctrl-C or `docker stop` of a shell does. */
  stopGroup(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Processes started and not yet ended, for `killLeftoverProcesses`. */
const running = new Set<StartedProcess>();

export function startProcess(script: string, options: StartProcessOptions = {}): StartedProcess {
  if (script.startsWith('dist/')) return startCommand(gatewayNode, [script, ...(options.args ?? [])], options);
  return startCommand(process.execPath, ['--import', 'tsx', script, ...(options.args ?? [])], options);
}

export function startCommand(
  command: string,
  commandArgs: string[],
  { env = {}, detached = false, ipc = false }: StartProcessOptions = {},
): StartedProcess {
  const script = [command, ...commandArgs].join(' ');
  const child = spawn(command, commandArgs, {
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    detached,
  }) as ChildProcessByStdio<null, Readable, Readable>;
  let output = '';
  let stdout = '';
  let stderr = '';
  // Registered before any `waitFor` listener, so a check always sees the chunk that triggered it.
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    output += chunk;
  });
  // 'close' rather than 'exit': by then stdout and stderr have been read to the end.
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

  function waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        outcome();
      };
      const check = (): boolean => {
        const match = pattern.exec(output);
        if (match) settle(() => resolve(match));
        return match !== null;
      };
      const timer = setTimeout(
        () => settle(() => reject(new Error(`${script} printed no ${pattern} within ${timeoutMs} ms:\n${output}`))),
        timeoutMs,
      );
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      void exited.then((code) => {
        if (!check()) settle(() => reject(new Error(`${script} exited with ${code} before printing ${pattern}:\n${output}`)));
      });
      check();
    });
  }

  const started: StartedProcess = {
    child,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    stopGroup(signal = 'SIGTERM') {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group has already gone.
      }
      return exited;
    },
  };
  running.add(started);
  if (detached) detachedOnes.add(started);
  void exited.then(() => running.delete(started));
  return started;
}

/** Kills (SIGKILL) every process a test started and left running, and waits until they have ended. */
export async function killLeftoverProcesses(): Promise<void> {
  await Promise.all(
    [...running].map((leftover) => (detachedOnes.has(leftover) ? leftover.stopGroup('SIGKILL') : leftover.stop('SIGKILL'))),
  );
}

/** Processes that lead a group of their own: their children go with them. */
const detachedOnes = new WeakSet<StartedProcess>();
