import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';

// With several HTTP workers, a scrape lands on one of them; it asks the primary, which gathers every
// worker's registry (prom-client's AggregatorRegistry over cluster IPC), so /metrics describes the
// whole instance rather than whichever worker answered.
const REQUEST = 'warranty:metrics-request';
const RESPONSE = 'warranty:metrics-response';
const TIMEOUT_MS = 5000;

interface MetricsMessage {
  type?: string;
  id?: string;
  text?: string;
  error?: string;
}

/** In the cluster primary: answer workers' requests with the metrics of all workers together. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsMessage) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (error: unknown) => worker.send({ type: RESPONSE, id: message.id, error: String(error) }),
    );
  });
}

/** In a worker: offer `registry` to the primary's aggregation and fetch the instance-wide text. */
export class ClusterMetrics {
  private readonly pending = new Map<string, { resolve(text: string): void; reject(error: Error): void }>();

  constructor(registry: Registry) {
    AggregatorRegistry.setRegistries([registry]);
    new AggregatorRegistry(); // registers prom-client's worker-side listener
    process.on('message', (message: MetricsMessage) => {
      if (message?.type !== RESPONSE || !message.id) return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.text ?? '');
    });
  }

  text(): Promise<string> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('cluster metrics: the primary did not answer'));
      }, TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      process.send!({ type: REQUEST, id });
    });
  }
}
