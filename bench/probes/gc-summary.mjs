// A --import probe: on SIGTERM, prints to stderr the young and full collections of the last
// PROBE_WINDOW_MS (15,000) (count and total pause) and the heap in use, then exits (so use one
// probe at a time). With the bench:
//   BENCH_SERVER_NODE_ARGS="--import=$PWD/bench/probes/gc-summary.mjs" npm run bench -- --phases compare
// (`--trace-gc-nvp` adds each young collection's promoted and surviving bytes, on stdout.)
import { constants, PerformanceObserver } from 'node:perf_hooks';

const kinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'young',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'full',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const seen = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) seen.push([e.startTime, kinds[e.detail.kind], e.duration]);
}).observe({ entryTypes: ['gc'] });
process.prependListener('SIGTERM', () => {
  const from = performance.now() - Number(process.env.PROBE_WINDOW_MS ?? 15_000);
  const sum = {};
  for (const [at, kind, ms] of seen) {
    if (at < from) continue;
    sum[kind] ??= { count: 0, ms: 0 };
    sum[kind].count++;
    sum[kind].ms = Math.round((sum[kind].ms + ms) * 10) / 10;
  }
  const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
  process.stderr.write(
    `gc-summary pid ${process.pid}: ${JSON.stringify(sum)}, heap used ${heapMb} MB\n`,
  );
  process.exit(0);
});
