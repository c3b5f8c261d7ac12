import { Body, Controller, Get, Inject, Post, Query, Res, UnprocessableEntityException } from '@nestjs/common';
import type { Response } from 'express';
import pg from 'pg';
import { FloorWrites, pageByStoreSku, type FloorItem } from './floor-store.js';

/** The service's default page size: a GET by store and SKU reads the same LIMIT. */
const PAGE_SIZE = 100;

/** The floor's one controller: the two requests the bench compares, and the readiness probe its starter waits for. */
@Controller()
export class FloorController {
  constructor(
    @Inject(pg.Pool) private readonly pool: pg.Pool,
    private readonly writes: FloorWrites,
  ) {}

  @Get('api/warranties')
  list(@Query('store_uuid') storeUuid: string, @Query('sku') sku: string) {
    return pageByStoreSku(this.pool, storeUuid, sku, PAGE_SIZE);
  }

  @Post('api/warranties')
  async submit(@Body() item: FloorItem, @Res({ passthrough: true }) response: Response) {
    const answer = await this.writes.submit(item, new Date());
    if (!answer) throw new UnprocessableEntityException('no protection plan is offered');
    response.status(answer.status);
    return answer.body;
  }

  @Get('health/ready')
  ready() {
    return { status: 'ok' };
  }
}
