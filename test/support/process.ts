import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The ports test servers are given. A port the kernel hands out as free (listen on port 0) comes
 * from its ephemeral range, which every outgoing connection also draws from: a client socket of
 * any test could take it before the server binds it (CI saw an app instance fail with
 * EADDRINUSE). So they are taken below that range (`ip_local_port_range`), from a slice of their
 * own per vitest worker (parallel test files never pick the same one), each checked free by
 * binding it.
 */
const SLICES = 16;
const SLICE_PORTS = 640;
const firstEphemeral = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
  } catch {
    return 32768;
  }
})();
const sliceStart =
  Math.max(1024, firstEphemeral - SLICES * SLICE_PORTS) +
  (Number(process.env.VITEST_POOL_ID ?? 0) % SLICES) * SLICE_PORTS;
/** The next port to try in this process's slice (from a random place: one slot runs many files). */
let nextInSlice = Math.floor(Math.random() * SLICE_PORTS);

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port that was free a moment ago (see SLICES). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tried = 0; ports.length < count; tried++) {
    if (tried >= SLICE_PORTS) throw new Error(`no free port in ${sliceStart}+${SLICE_PORTS}`);
    const port = sliceStart + (nextInSlice++ % SLICE_PORTS);
    if (await bindable(port)) ports.push(port);
  }
  return ports;
}

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  /** The exit code, or the signal's name when the process ended by a signal. */
  exited: Promise<number | string | null>;
}

/** Runs the built server (`dist/`) as the README does, with the given environment on top. */
export function runServer(env: Record<string, string>, entry = 'dist/src/main.js'): RunningProcess {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { child, output: () => out, exited };
}
