import { Global, Module } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { readBuildInfo } from './build-info.js';
import { HttpMetrics } from './http-metrics.js';
import { MetricsController } from './metrics.controller.js';

/** One Prometheus registry per process; modules register their own metrics on it. */
@Global()
@Module({
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        // Node's and the process's own, under the names Prometheus's client libraries use (process_*, nodejs_*).
        // The event-loop delay is sampled every 100 ms, not prom-client's 10 ms: its timer woke an idle
        // process 100 times a second, which cost 6-9 % of a GET's CPU at 100 requests/s (measured,
        // docs/performance.md); a lag worth an alert is far longer than 100 ms of sampling.
        collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
        new Gauge({
          name: 'warranty_build_info',
          help: 'The running build: package version and source commit (always 1)',
          labelNames: ['version', 'commit'],
          registers: [registry],
          aggregator: 'first', // one build per instance, however many workers
        }).set({ ...readBuildInfo() }, 1);
        return registry;
      },
    },
    HttpMetrics,
  ],
  controllers: [MetricsController],
  exports: [Registry, HttpMetrics],
})
export class MetricsModule {}
