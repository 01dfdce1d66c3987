/**
 * The drill's figures: one row per scenario (what a client saw, what the database holds), the
 * issue's targets judged on them, and the printed table.
 */
import type { Sample, WriteRecord } from './load.js';

export interface ScenarioRun {
  name: string;
  startedAt: number;
  /** What was done, for the table's reader. */
  description: string;
  /** When the fault began and when it was repaired (ms since epoch); none for the baseline. */
  faultStart?: number;
  faultEnd?: number;
  /** The primary's own outage (the primary-stop scenario only). */
  primaryOutage?: boolean;
  /** An instance was stopped gracefully (views must all be written). */
  graceful?: boolean;
  /** A rolling restart (no request may fail). */
  rolling?: boolean;
  stale: { checks: number; stale: number };
  notes: string[];
}

export interface ScenarioRow {
  scenario: string;
  description: string;
  requests: number;
  ok2xx: number;
  /** Each non-2xx status and how many (3xx never occur: no conditional requests are sent). */
  statuses: Record<string, number>;
  clientErrors: Record<string, number>;
  /** GETs sent again after a reset of their reused keep-alive connection (then answered or not). */
  retried: number;
  /** Failures (5xx, client errors) by `kind@via status`, and when (s after the scenario began). */
  failureBreakdown: Record<string, { n: number; from: number; to: number }>;
  nginxReloads: number;
  p99Ms: number;
  maxMs: number;
  /** From the repair to the end of the first 2xx read / write sent after it. */
  recoverReadMs?: number;
  recoverWriteMs?: number;
  /** From the repair to the end of the last failed request (5xx or client error), if any after it. */
  lastFailureAfterRepairMs?: number;
  writes: {
    sent: number;
    acknowledged: number;
    foundOnce: number;
    lost: number;
    duplicated: number;
    unanswered: number;
    committedUnanswered: number;
    refusedButCommitted: number;
  };
  stale: { checks: number; stale: number };
  views: { sent: number; counted: number };
  /** 503s without Retry-After, 500s, answers slower than the pool timeout (primary outage only). */
  outage?: { inside: number; with503RetryAfter: number; other5xx: number; hangs: number };
  /** 5xx and client errors, all of them and outside the primary's own outage window. */
  failures: number;
  failuresOutsideOutage: number;
  graceful: boolean;
  rolling: boolean;
  notes: string[];
}

const failed = (s: Sample) => s.status === 0 || s.status >= 500;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function buildRow(
  run: ScenarioRun,
  samples: Sample[],
  writes: WriteRecord[],
  found: Map<string, number>,
  viewsSent: number,
  viewsCounted: number,
  hangMs: number,
  nginxReloads: number,
): ScenarioRow {
  const mine = samples.filter((s) => s.scenario === run.name);
  const statuses: Record<string, number> = {};
  const clientErrors: Record<string, number> = {};
  for (const s of mine) {
    if (s.status === 0)
      clientErrors[s.error ?? 'error'] = (clientErrors[s.error ?? 'error'] ?? 0) + 1;
    else if (s.status >= 300) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  }
  const failureBreakdown: ScenarioRow['failureBreakdown'] = {};
  for (const s of mine.filter(failed)) {
    const key = `${s.kind}@${s.via} ${s.status || s.error}`;
    const at = Math.round((s.t0 - run.startedAt) / 100) / 10;
    const entry = (failureBreakdown[key] ??= { n: 0, from: at, to: at });
    entry.n++;
    entry.from = Math.min(entry.from, at);
    entry.to = Math.max(entry.to, at);
  }
  const after = (kinds: string[]) => {
    if (run.faultEnd === undefined) return undefined;
    const end = run.faultEnd;
    const firsts = mine
      .filter((s) => kinds.includes(s.kind) && s.t0 >= end && s.status >= 200 && s.status < 300)
      .map((s) => s.t0 + s.ms - end);
    return firsts.length ? Math.min(...firsts) : undefined;
  };
  const recoverReadMs = after(['list', 'detail']);
  const recoverWriteMs = after(['job', 'apply']);
  let lastFailureAfterRepairMs: number | undefined;
  if (run.faultEnd !== undefined) {
    const late = mine.filter(failed).map((s) => s.t0 + s.ms - run.faultEnd!);
    const max = late.length ? Math.max(...late) : -1;
    if (max > 0) lastFailureAfterRepairMs = max;
  }

  // the primary's own outage: from the stop until the service answers writes again
  let outage: ScenarioRow['outage'];
  let inWindow = (_s: Sample) => false;
  if (run.primaryOutage && run.faultStart !== undefined && run.faultEnd !== undefined) {
    const windowEnd = run.faultEnd + Math.max(recoverWriteMs ?? 0, lastFailureAfterRepairMs ?? 0);
    const start = run.faultStart;
    inWindow = (s) => s.t0 <= windowEnd && s.t0 + s.ms >= start;
    const inside = mine.filter(inWindow);
    outage = {
      inside: inside.length,
      with503RetryAfter: inside.filter((s) => s.status === 503 && s.retryAfter).length,
      other5xx: inside.filter((s) => s.status >= 500 && !(s.status === 503 && s.retryAfter)).length,
      hangs: inside.filter((s) => s.ms > hangMs).length,
    };
  }
  const failuresOutsideOutage = mine.filter((s) => failed(s) && !inWindow(s)).length;

  const w = writes.filter((r) => r.scenario === run.name);
  const acked = w.filter((r) => r.status === 201);
  const unanswered = w.filter((r) => r.status === 0 || r.status >= 500);
  const refused = w.filter((r) => r.status >= 400 && r.status < 500);
  return {
    scenario: run.name,
    description: run.description,
    requests: mine.length,
    ok2xx: mine.filter((s) => s.status >= 200 && s.status < 300).length,
    statuses,
    clientErrors,
    retried: mine.filter((s) => s.retried).length,
    failureBreakdown,
    nginxReloads,
    p99Ms: percentile(
      mine.map((s) => s.ms),
      99,
    ),
    maxMs: mine.reduce((m, s) => Math.max(m, s.ms), 0),
    recoverReadMs,
    recoverWriteMs,
    lastFailureAfterRepairMs,
    writes: {
      sent: w.length,
      acknowledged: acked.length,
      foundOnce: acked.filter((r) => found.get(r.marker) === 1).length,
      lost: acked.filter((r) => !found.get(r.marker)).length,
      duplicated: w.filter((r) => (found.get(r.marker) ?? 0) > 1).length,
      unanswered: unanswered.length,
      committedUnanswered: unanswered.filter((r) => (found.get(r.marker) ?? 0) > 0).length,
      refusedButCommitted: refused.filter((r) => (found.get(r.marker) ?? 0) > 0).length,
    },
    stale: run.stale,
    views: { sent: viewsSent, counted: viewsCounted },
    outage,
    failures: mine.filter(failed).length,
    failuresOutsideOutage,
    graceful: Boolean(run.graceful),
    rolling: Boolean(run.rolling),
    notes: run.notes,
  };
}

export interface Target {
  target: string;
  pass: boolean;
  detail: string;
}

export function judge(rows: ScenarioRow[], recoveryLimitMs: number, hangMs: number): Target[] {
  const sum = (f: (r: ScenarioRow) => number) => rows.reduce((n, r) => n + f(r), 0);
  const byName = (pred: (r: ScenarioRow) => boolean) =>
    rows
      .filter(pred)
      .map((r) => r.scenario)
      .join(', ') || 'none';
  const outside = sum((r) => r.failuresOutsideOutage);
  const primary = rows.filter((r) => r.outage);
  const bad = sum((r) => (r.outage ? r.outage.other5xx + r.outage.hangs : 0));
  const recoveries = primary.map((r) =>
    Math.max(r.recoverReadMs ?? Infinity, r.recoverWriteMs ?? Infinity),
  );
  const lost = sum((r) => r.writes.lost);
  const dup = sum((r) => r.writes.duplicated);
  const graceful = rows.filter((r) => r.graceful);
  const viewsLost = graceful.reduce((n, r) => n + Math.max(0, r.views.sent - r.views.counted), 0);
  const rolling = rows.filter((r) => r.rolling);
  const rollingFailed = rolling.reduce((n, r) => n + r.failures, 0);
  const stale = sum((r) => r.stale.stale);
  return [
    {
      target: 'no 5xx and no client error outside the primary outage window',
      pass: outside === 0,
      detail: `${outside} (in: ${byName((r) => r.failuresOutsideOutage > 0)})`,
    },
    {
      target: `inside it: 503 with Retry-After only, no answer slower than ${hangMs} ms`,
      pass: primary.length > 0 && bad === 0,
      detail: primary
        .map(
          (r) =>
            `${r.outage!.inside} requests in the window: ${r.outage!.with503RetryAfter} × 503+Retry-After, ${r.outage!.other5xx} other 5xx, ${r.outage!.hangs} hangs`,
        )
        .join('; '),
    },
    {
      target: `recovery within ${recoveryLimitMs} ms of the primary's return`,
      pass: recoveries.length > 0 && recoveries.every((ms) => ms <= recoveryLimitMs),
      detail: primary
        .map((r) => `reads ${r.recoverReadMs ?? '-'} ms, writes ${r.recoverWriteMs ?? '-'} ms`)
        .join('; '),
    },
    {
      target: '0 acknowledged writes lost or duplicated',
      pass: lost === 0 && dup === 0,
      detail: `${sum((r) => r.writes.acknowledged)} acknowledged, ${lost} lost, ${dup} duplicated; ${sum((r) => r.writes.committedUnanswered)} committed but unanswered`,
    },
    {
      target: '0 views lost on graceful stops',
      pass: viewsLost === 0,
      detail: graceful
        .map((r) => `${r.scenario}: ${r.views.sent} sent, ${r.views.counted} counted`)
        .join('; '),
    },
    {
      target: '0 failed requests in a rolling restart',
      pass: rolling.length > 0 && rollingFailed === 0,
      detail: `${rollingFailed} failed (5xx or client error) in ${byName((r) => r.rolling)}`,
    },
    {
      target: '(API.md) no stale read across instances after a write',
      pass: stale === 0,
      detail: `${stale} stale of ${sum((r) => r.stale.checks)} checks (in: ${byName((r) => r.stale.stale > 0)})`,
    },
  ];
}

const fmt = (v: number | undefined) => (v === undefined ? '-' : String(v));

function codes(r: ScenarioRow): string {
  const parts = [
    ...Object.entries(r.statuses).map(([k, v]) => `${k}×${v}`),
    ...Object.entries(r.clientErrors).map(([k, v]) => `${k}×${v}`),
  ];
  return parts.join(' ') || '-';
}

/** The per-scenario table, as printed (and as bench/README.md shows it). */
export function table(rows: ScenarioRow[]): string {
  const header = [
    'scenario',
    'requests',
    '2xx',
    'non-2xx / client errors',
    'retried',
    'p99 ms',
    'recover r/w ms',
    'writes ack / found once',
    'lost / dup',
    'unanswered (committed)',
    'stale',
    'views sent / counted',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    String(r.requests),
    String(r.ok2xx),
    codes(r),
    String(r.retried),
    String(r.p99Ms),
    `${fmt(r.recoverReadMs)} / ${fmt(r.recoverWriteMs)}`,
    `${r.writes.acknowledged} / ${r.writes.foundOnce}`,
    `${r.writes.lost} / ${r.writes.duplicated}`,
    `${r.writes.unanswered} (${r.writes.committedUnanswered})`,
    `${r.stale.stale}/${r.stale.checks}`,
    `${r.views.sent} / ${r.views.counted}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    row(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(row),
  ].join('\n');
}
