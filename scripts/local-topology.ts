/**
 * The local topology of `npm run cluster:local` and the nginx tests: Debian's nginx, started from a
 * private prefix with deploy/nginx.conf rendered into it (never /etc/nginx, never the system
 * service), N app instances from the built dist/, and the watcher that takes an instance out of
 * nginx's upstream while its readiness is not 200 (nginx OSS has no active health checks: this
 * plays the part of a load balancer's readiness probe).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';

/** Where Debian's package puts the binary. */
const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];

/** The nginx binary, or undefined when nginx is not installed (`apt-get install -y nginx`). */
export function findNginx(): string | undefined {
  return NGINX_CANDIDATES.find((path) => existsSync(path));
}

/** A file of deploy/, from the sources (scripts/) or the build (dist/scripts/). */
export function deployFile(name: string): string {
  const candidates = [
    join(import.meta.dirname, '..', 'deploy', name),
    join(import.meta.dirname, '..', '..', 'deploy', name),
    join(process.cwd(), 'deploy', name),
  ];
  return candidates.find((path) => existsSync(path)) ?? candidates[0];
}

/** envsubst's rule: `${NAME}` is replaced when NAME is given, anything else is left as is. */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

export interface Upstream {
  host: string;
  port: number;
  /** Out of rotation (its readiness is not 200): nginx sends it nothing new. */
  down?: boolean;
}

export interface NginxOptions {
  /** nginx's prefix: config, pid, logs and temp directories live here. */
  dir: string;
  port: number;
  upstreams: Upstream[];
  uploadDir: string;
  maxUploadMb: number;
  /** deploy/nginx.conf by default. */
  template?: string;
  workerProcesses?: number;
}

/** The lines of the upstream block. With every instance out, all are listed: nginx then tries them. */
export function upstreamLines(upstreams: Upstream[]): string {
  const allDown = upstreams.every((u) => u.down);
  return upstreams
    .map(
      (u) =>
        `server ${u.host}:${u.port} max_fails=1 fail_timeout=2s${u.down && !allDown ? ' down' : ''};`,
    )
    .join('\n    ');
}

/** The site (deploy/nginx.conf) as nginx runs it for these options. */
export function renderSite(template: string, opts: NginxOptions): string {
  return renderTemplate(template, {
    SPAJOBS_LISTEN: `127.0.0.1:${opts.port}`,
    SPAJOBS_UPSTREAM_SERVERS: upstreamLines(opts.upstreams),
    SPAJOBS_MAX_BODY_MB: String(opts.maxUploadMb + 1),
    MAX_UPLOAD_MB: String(opts.maxUploadMb),
    UPLOAD_DIR: opts.uploadDir,
  });
}

/** The whole nginx.conf: a private prefix around the site. */
export function renderMain(site: string, opts: NginxOptions): string {
  const d = opts.dir;
  const root = process.getuid?.() === 0;
  return `# rendered by scripts/local-topology.ts from deploy/nginx.conf: do not edit
${root ? '# running as root: workers stay root so they can read private temp directories\nuser root root;\n' : ''}worker_processes ${opts.workerProcesses ?? 1};
daemon off;
master_process on;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;

events {
    worker_connections 1024;
}

http {
    types {
        text/html html;
        text/plain txt;
        application/json json;
        application/pdf pdf;
        image/jpeg jpeg jpg;
        image/png png;
        image/gif gif;
        image/webp webp;
    }
    default_type application/octet-stream;
    log_format upstreams '$remote_addr "$request" $status upstream=$upstream_addr upstream_status=$upstream_status';
    access_log ${d}/access.log upstreams;
    client_body_temp_path ${d}/tmp/body;
    proxy_temp_path ${d}/tmp/proxy;
    fastcgi_temp_path ${d}/tmp/fastcgi;
    uwsgi_temp_path ${d}/tmp/uwsgi;
    scgi_temp_path ${d}/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    server_tokens off;
    keepalive_timeout 65s;

${site}
}
`;
}

/** A GET that never throws: the status, or 0 when nothing answered. */
export function probe(host: string, port: number, path: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Debian's nginx from a private prefix, in the foreground as a child of this process. */
export class LocalNginx {
  private child?: ChildProcess;
  private output = '';
  private watcher?: NodeJS.Timeout;
  private exited?: Promise<void>;

  private constructor(
    private opts: NginxOptions,
    private readonly binary: string,
    private readonly template: string,
  ) {}

  static async start(opts: NginxOptions): Promise<LocalNginx> {
    const binary = findNginx();
    if (!binary) throw new Error('nginx is not installed: apt-get install -y nginx');
    const template = await readFile(opts.template ?? deployFile('nginx.conf'), 'utf8');
    const nginx = new LocalNginx(opts, binary, template);
    await mkdir(join(opts.dir, 'tmp'), { recursive: true });
    await nginx.writeConfig();
    const test = spawnSync(binary, nginx.args('-t'), { encoding: 'utf8' });
    if (test.status !== 0) throw new Error(`nginx -t failed:\n${test.stderr}`);
    const child = spawn(binary, nginx.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (nginx.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (nginx.output += d.toString()));
    nginx.child = child;
    nginx.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (let i = 0; i < 100; i++) {
      if ((await probe('127.0.0.1', opts.port, '/uploads/', 500)) > 0) return nginx;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await nginx.stop();
    throw new Error(`nginx did not start on port ${opts.port}:\n${nginx.output}`);
  }

  get port(): number {
    return this.opts.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }

  get dir(): string {
    return this.opts.dir;
  }

  get upstreams(): readonly Upstream[] {
    return this.opts.upstreams;
  }

  /** nginx's access log: one line per request, with the instance(s) tried and their statuses. */
  accessLog(): Promise<string> {
    return readFile(join(this.opts.dir, 'access.log'), 'utf8').catch(() => '');
  }

  errorLog(): Promise<string> {
    return readFile(join(this.opts.dir, 'error.log'), 'utf8').catch(() => '');
  }

  private args(...extra: string[]): string[] {
    return [
      '-p',
      this.opts.dir,
      '-e',
      join(this.opts.dir, 'error.log'),
      '-c',
      join(this.opts.dir, 'nginx.conf'),
      ...extra,
    ];
  }

  private async writeConfig(): Promise<void> {
    const site = renderSite(this.template, this.opts);
    await writeFile(join(this.opts.dir, 'nginx.conf'), renderMain(site, this.opts));
  }

  /** New upstream states: the config is rewritten and nginx reloaded (old workers finish their requests). */
  async setUpstreams(upstreams: Upstream[]): Promise<void> {
    this.opts = { ...this.opts, upstreams };
    await this.writeConfig();
    this.child?.kill('SIGHUP');
  }

  /**
   * Polls every instance's /health/ready and takes those that are not ready out of rotation
   * (and back in once they are), as a load balancer's readiness probe would. A draining
   * instance answers 503 at once on SIGTERM; it keeps serving SHUTDOWN_GRACE_MS (5 s), far
   * longer than one poll and a reload.
   */
  watchReadiness(everyMs = 200, onChange?: (upstreams: Upstream[]) => void): void {
    let busy = false;
    this.watcher = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        try {
          const states = await Promise.all(
            this.opts.upstreams.map(
              async (u) => (await probe(u.host, u.port, '/health/ready', everyMs * 2)) === 200,
            ),
          );
          const changed = this.opts.upstreams.some((u, i) => Boolean(u.down) === states[i]);
          if (!changed || !this.child) return;
          const next = this.opts.upstreams.map((u, i) => ({ ...u, down: !states[i] }));
          await this.setUpstreams(next);
          onChange?.(next);
        } finally {
          busy = false;
        }
      })();
    }, everyMs);
    this.watcher.unref();
  }

  /** Graceful stop (SIGQUIT: requests in flight finish), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    clearInterval(this.watcher);
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const force = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.kill('SIGQUIT');
    await this.exited;
    clearTimeout(force);
  }
}

export interface InstanceOptions {
  name: string;
  port: number;
  /** The whole environment of the process (PORT and HOST are set from the options). */
  env: Record<string, string | undefined>;
  /** dist/src/main.js by default. */
  entry?: string;
  /** Called with each line the instance prints. */
  onLine?: (line: string) => void;
}

/** One app instance (the built server), which can be stopped and started again on its port. */
export class AppInstance {
  private child?: ChildProcess;
  private out = '';
  private exit?: Promise<number | string | null>;

  constructor(readonly opts: InstanceOptions) {}

  get port(): number {
    return this.opts.port;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Everything it printed, every run. */
  output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && !this.child.signalCode;
  }

  start(): void {
    if (this.running) return;
    const entry = this.opts.entry ?? join(process.cwd(), 'dist', 'src', 'main.js');
    const child = spawn(process.execPath, ['--max-semi-space-size=16', entry], {
      env: { ...this.opts.env, PORT: String(this.opts.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    const take = (d: Buffer) => {
      const text = d.toString();
      this.out += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.opts.onLine?.(line);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal)),
    );
    this.child = child;
  }

  /** Resolves true once /health/ready answers 200. */
  async ready(timeoutMs = 90_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) return false;
      if ((await probe('127.0.0.1', this.opts.port, '/health/ready')) === 200) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  /** Sends the signal and waits for the exit (SIGKILL after `timeoutMs`); the exit code or signal. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 45_000,
  ): Promise<number | string | null> {
    const child = this.child;
    if (!child || !this.running) return (await this.exit) ?? null;
    const force = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.kill(signal);
    const result = await this.exit!;
    clearTimeout(force);
    return result;
  }

  kill(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }
}
