import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import cluster from 'node:cluster';
import { Registry } from 'prom-client';
import { ClusterMetrics } from './cluster-metrics.js';

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly clusterMetrics: ClusterMetrics | undefined;

  constructor(private readonly registry: Registry) {
    this.clusterMetrics = cluster.isWorker ? new ClusterMetrics(registry) : undefined;
  }

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.clusterMetrics?.text() ?? this.registry.metrics();
  }
}
