// A --import probe: samples the allocations that survive young collections and are freed by a
// full one (what the young generation promotes and then drops), from PROBE_AFTER_MS (15,000)
// after start until SIGTERM, then writes /tmp/promoted-<pid>.heapprofile (open it in Chrome's
// DevTools, Memory tab) and exits (so use one probe at a time). With the bench:
//   BENCH_SERVER_NODE_ARGS="--import=$PWD/bench/probes/promoted.mjs" npm run bench -- --phases compare
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
setTimeout(
  () => {
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: false,
    });
  },
  Number(process.env.PROBE_AFTER_MS ?? 15_000),
).unref();
process.prependListener('SIGTERM', () => {
  session.post('HeapProfiler.stopSampling', (err, result) => {
    if (!err)
      writeFileSync(`/tmp/promoted-${process.pid}.heapprofile`, JSON.stringify(result.profile));
    process.exit(0);
  });
});
