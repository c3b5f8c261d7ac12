import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import type { Response } from 'express';
import { ArchiveBacklogHealth } from './archive-backlog.health.js';
import { DatabaseHealth } from './database.health.js';
import { Draining } from './draining.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealth,
    private readonly archive: ArchiveBacklogHealth,
    private readonly draining: Draining,
    private readonly indicators: HealthIndicatorService,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP' })
  live(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    return this.report([], response);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database can serve requests now (503 otherwise); archive backlog reported' })
  @ApiServiceUnavailableResponse({ description: 'A check failed; the body says which (terminus format).' })
  ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    // Shutting down: not ready, at once and without asking anything else (the load balancer must stop routing here).
    if (this.draining.active) return this.report([() => this.indicators.check('shutdown').down({ message: 'draining' })], response);
    return this.report([() => this.database.check(), () => this.archive.check()], response);
  }

  /** Terminus' own report on 503 as well (which check failed and why), not the generic error shape. */
  private async report(checks: HealthIndicatorFunction[], response: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
