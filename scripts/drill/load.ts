/**
 * The drill's client: a bounded, paced mixed load from 127.0.0.1 — public reads (job lists,
 * job details that count views, locations) and authenticated writes (jobs posted by employers,
 * applications sent by seekers), each write carrying a unique marker so that its row can be
 * found afterwards. Every response (or socket error) is recorded with the scenario that was
 * running when the request was sent.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export type Kind = 'list' | 'detail' | 'job' | 'apply' | 'probe';

export interface Sample {
  scenario: string;
  kind: Kind;
  /** 'nginx', or the instance's name when sent to it directly. */
  via: string;
  t0: number;
  ms: number;
  /** 0: no HTTP answer (see `error`). */
  status: number;
  retryAfter: boolean;
  error?: string;
  /** A GET sent again once because its reused keep-alive connection was reset before any answer. */
  retried?: boolean;
}

export interface WriteRecord {
  marker: string;
  kind: 'job' | 'apply';
  scenario: string;
  status: number;
  error?: string;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  error?: string;
  /** The request went out on a kept-alive connection that had served an earlier one. */
  reusedSocket?: boolean;
}

export interface Actor {
  id: number;
  token: string;
  spaId?: number;
}

/** One request; never throws: a socket error or timeout is `status: 0` with its code. */
export function send(
  port: number,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; agent?: Agent; timeoutMs?: number } = {},
): Promise<Reply> {
  return new Promise((resolve) => {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    let settled = false;
    const done = (r: Reply) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    let reused = false;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent: opts.agent ?? false,
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
        res.on('error', (err: NodeJS.ErrnoException) =>
          done({ status: 0, headers: {}, body: '', error: err.code ?? err.message }),
        );
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15_000, () => {
      req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }));
    });
    req.on('socket', () => (reused = req.reusedSocket));
    req.on('error', (err: NodeJS.ErrnoException) =>
      done({
        status: 0,
        headers: {},
        body: '',
        error: err.code ?? err.message,
        reusedSocket: reused,
      }),
    );
    req.end(payload);
  });
}

export interface LoadOptions {
  nginxPort: number;
  readsPerSecond: number;
  writesPerSecond: number;
  employers: Actor[];
  seekers: Actor[];
  categoryId: number;
  listPaths: string[];
  /** The job ids whose detail GETs a scenario sends (its views are counted on these only). */
  viewTargets: Map<string, number[]>;
  runId: string;
  timeoutMs: number;
}

/**
 * What the client keeps open at most: each request in flight holds a connection to nginx and
 * nginx one upstream, against its 2 × 1024 worker_connections (beyond them nginx resets).
 */
const MAX_IN_FLIGHT = 600;
const TICK_MS = 20;

export class Load {
  readonly samples: Sample[] = [];
  readonly writes: WriteRecord[] = [];
  /** 2xx job detail answers, by scenario: the views the client saw. */
  readonly viewsSent = new Map<string, number>();
  /** Requests not sent because MAX_IN_FLIGHT were already waiting (the client's own limit). */
  skipped = 0;
  scenario = 'setup';
  /** Send writes and job details to this instance (no proxy) instead of nginx. */
  direct?: { name: string; port: number };
  private readonly agents = new Map<number, Agent>();
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readDebt = 0;
  private writeDebt = 0;
  private last = 0;
  private seq = 0;
  private writeSeq = 0;
  /** Jobs posted (acknowledged) by the drill, newest last: what seekers apply to. */
  private readonly openJobs: number[] = [];
  private readonly applied = new Set<string>();

  constructor(private readonly opts: LoadOptions) {}

  agent(port: number): Agent {
    let agent = this.agents.get(port);
    if (!agent) {
      // no queue in the agent: a request goes out when it is sent (its t0 is its real start)
      agent = new Agent({ keepAlive: true, maxFreeSockets: 128 });
      this.agents.set(port, agent);
    }
    return agent;
  }

  /** A recorded request of this scenario (the stale checks use it too). */
  async call(
    kind: Kind,
    method: string,
    path: string,
    opts: { body?: unknown; token?: string; to?: { name: string; port: number } } = {},
  ): Promise<Reply> {
    const scenario = this.scenario;
    const direct = kind === 'list' ? undefined : this.direct;
    const to = opts.to ?? direct ?? { name: 'nginx', port: this.opts.nginxPort };
    const t0 = Date.now();
    // reads reuse keep-alive connections; writes open their own (a write is never sent on a
    // connection the other side may be closing, and is never sent twice)
    const idempotent = method === 'GET';
    const attempt = (fresh: boolean) =>
      send(to.port, method, path, {
        body: opts.body,
        token: opts.token,
        agent: idempotent && !fresh ? this.agent(to.port) : undefined,
        timeoutMs: this.opts.timeoutMs,
      });
    let reply = await attempt(false);
    // what browsers and HTTP client libraries do: an idempotent request whose reused
    // connection was closed under it (ECONNRESET before any byte of an answer) is sent again,
    // on a new connection
    const retried = idempotent && reply.reusedSocket === true && reply.error === 'ECONNRESET';
    if (retried) reply = await attempt(true);
    this.samples.push({
      retried,
      scenario,
      kind,
      via: to.name,
      t0,
      ms: Date.now() - t0,
      status: reply.status,
      retryAfter: reply.headers['retry-after'] !== undefined,
      error: reply.error,
    });
    return reply;
  }

  start(): void {
    this.last = Date.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
    for (const agent of this.agents.values()) agent.destroy();
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private tick(): void {
    const now = Date.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    this.readDebt += this.opts.readsPerSecond * dt;
    this.writeDebt += this.opts.writesPerSecond * dt;
    while (this.readDebt >= 1) {
      this.readDebt -= 1;
      if (this.inFlight.size >= MAX_IN_FLIGHT) this.skipped++;
      else this.track(this.read());
    }
    while (this.writeDebt >= 1) {
      this.writeDebt -= 1;
      if (this.inFlight.size >= MAX_IN_FLIGHT) this.skipped++;
      else this.track(this.write());
    }
  }

  private async read(): Promise<void> {
    const n = this.seq++;
    const roll = n % 20;
    if (roll < 5) {
      const scenario = this.scenario;
      const targets = this.opts.viewTargets.get(scenario);
      if (targets?.length) {
        const id = targets[n % targets.length];
        const reply = await this.call('detail', 'GET', `/api/v1/jobs/${id}`);
        if (reply.status === 200)
          this.viewsSent.set(scenario, (this.viewsSent.get(scenario) ?? 0) + 1);
        return;
      }
    }
    if (roll === 19) {
      await this.call('list', 'GET', n % 40 === 19 ? '/api/v1/states' : '/api/v1/job-categories');
      return;
    }
    const paths = this.opts.listPaths;
    await this.call('list', 'GET', paths[n % paths.length]);
  }

  /** Half jobs posted, half applications (a job first when none is open yet). */
  async write(forced?: 'job' | 'apply'): Promise<WriteRecord> {
    const n = this.writeSeq++;
    const marker = `${this.opts.runId}-${n}`;
    const scenario = this.scenario;
    let kind: 'job' | 'apply' = forced ?? (n % 2 === 0 ? 'job' : 'apply');
    let pair: { seeker: Actor; jobId: number } | undefined;
    if (kind === 'apply') {
      pair = this.pickApplication(n);
      if (!pair) kind = 'job';
    }
    let reply: Reply;
    if (kind === 'job') {
      const employer = this.opts.employers[n % this.opts.employers.length];
      reply = await this.call('job', 'POST', '/api/v1/jobs', {
        token: employer.token,
        body: {
          spaId: employer.spaId,
          categoryId: this.opts.categoryId,
          title: `Drill ${marker}`,
          description: 'A job posted by the fault drill, to check every acknowledged write.',
        },
      });
      if (reply.status === 201) {
        const id = (JSON.parse(reply.body) as { id: number }).id;
        this.openJobs.push(id);
        if (this.openJobs.length > 200) this.openJobs.shift();
      }
    } else {
      reply = await this.call('apply', 'POST', `/api/v1/jobs/${pair!.jobId}/applications`, {
        token: pair!.seeker.token,
        body: { coverLetter: `Drill ${marker}` },
      });
    }
    const record: WriteRecord = {
      marker,
      kind,
      scenario,
      status: reply.status,
      error: reply.error,
    };
    this.writes.push(record);
    return record;
  }

  private pickApplication(n: number): { seeker: Actor; jobId: number } | undefined {
    const seekers = this.opts.seekers;
    for (let attempt = 0; attempt < 20 && this.openJobs.length > 0; attempt++) {
      const seeker = seekers[(n + attempt) % seekers.length];
      const jobId =
        this.openJobs[this.openJobs.length - 1 - ((n * 7 + attempt) % this.openJobs.length)];
      const key = `${seeker.id}:${jobId}`;
      if (this.applied.has(key)) continue;
      this.applied.add(key);
      return { seeker, jobId };
    }
    return undefined;
  }
}
