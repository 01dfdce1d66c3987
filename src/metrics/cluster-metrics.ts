import { randomUUID } from 'node:crypto';
import { AppError } from '../common/error-codes.js';

/** A worker asks the primary for every worker's metrics; the primary answers with the text. */
export const METRICS_REQUEST = 'spajobs-metrics:request';
export const METRICS_REPLY = 'spajobs-metrics:reply';
/** Longer than the primary's own wait for the workers (prom-client: 5 s). */
const REPLY_TIMEOUT_MS = 7000;

export interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: string;
}

export interface MetricsReply {
  type: typeof METRICS_REPLY;
  id: string;
  text?: string;
  error?: string;
}

const pending = new Map<string, (reply: MetricsReply) => void>();
let listening = false;

/** In a cluster worker: the whole cluster's metrics, gathered by the primary. */
export function clusterMetrics(): Promise<string> {
  if (!listening) {
    listening = true;
    process.on('message', (msg: MetricsReply) => {
      if (msg?.type === METRICS_REPLY) pending.get(msg.id)?.(msg);
    });
  }
  const id = randomUUID();
  return new Promise<string>((resolve, reject) => {
    const fail = (why: string) =>
      reject(new AppError('SERVICE_UNAVAILABLE', `Cluster metrics unavailable: ${why}`));
    const timer = setTimeout(() => {
      pending.delete(id);
      fail('the primary did not answer');
    }, REPLY_TIMEOUT_MS);
    pending.set(id, (reply) => {
      clearTimeout(timer);
      pending.delete(id);
      if (reply.text !== undefined) resolve(reply.text);
      else fail(reply.error ?? 'no reply');
    });
    process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
  });
}
