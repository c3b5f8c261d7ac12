/** Access lines and request ids on log lines, without pino-http's middleware (src/http/access-log.ts, logging.ts). */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { Test } from '@nestjs/testing';
import { Logger, LoggerModule } from 'nestjs-pino';
import { pino } from 'pino';
import { AccessLog } from '../../src/http/access-log.js';
import { loggerParams, pinoOptions } from '../../src/http/logging.js';
import { requestIds, type RequestWithContext } from '../../src/http/request-context.js';

/** A pino destination that keeps each line, parsed. */
function sink() {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
}

const request = (url: string, caller?: { keyPrefix: string; storeUuid?: string }) =>
  ({ requestId: 'req-7', method: 'GET', url, originalUrl: url, caller }) as unknown as RequestWithContext;
const response = (statusCode: number) => ({ statusCode }) as ServerResponse;

describe('request logging', () => {
  it('a line logged through Nest while a request is served carries its request id; other lines none', async () => {
    const out = sink();
    const moduleRef = await Test.createTestingModule({
      imports: [LoggerModule.forRoot({ ...loggerParams('info'), pinoHttp: [pinoOptions('info'), out] })],
    }).compile();
    const logger = moduleRef.get(Logger);
    await requestIds.run('req-1', async () => {
      await Promise.resolve();
      logger.warn('inside, after an await', 'Test');
    });
    logger.log('outside', 'Test');
    assert.deepEqual(
      out.lines.map((line) => [line.message, line.request_id, line.context]),
      [
        ['inside, after an await', 'req-1', 'Test'],
        ['outside', undefined, 'Test'],
      ],
    );
    await moduleRef.close();
  });

  it('one access line per answer, at the level its status calls for; health and metrics polls at debug', () => {
    const out = sink();
    const access = new AccessLog(pino(pinoOptions('info'), out));
    access.write(request('/api/warranties?sku=a', { keyPrefix: 'wsk_store_1', storeUuid: 'store-1' }), response(200), '/api/warranties', 3);
    access.write(request('/api/warranties/9'), response(404), '/api/warranties/:id', 1);
    access.write(request('/api/warranties'), response(503), '/api/warranties', 2);
    access.write(request('/api/warranties'), response(500), '/api/warranties', 2);
    access.write(request('/health/ready'), response(200), '/health/ready', 1);
    access.write(request('/metrics'), response(200), '/metrics', 1);
    assert.deepEqual(
      out.lines.map((line) => [line.level, line.status]),
      [
        ['info', 200],
        ['warn', 404],
        ['warn', 503],
        ['error', 500],
      ],
    );
    const [first] = out.lines;
    assert.equal(first.message, 'request');
    assert.deepEqual(
      [first.request_id, first.method, first.route, first.duration_ms, first.key_prefix, first.store_uuid],
      ['req-7', 'GET', '/api/warranties', 3, 'wsk_store_1', 'store-1'],
    );
  });

  it('nothing is built for a line whose level is off', () => {
    const out = sink();
    const access = new AccessLog(pino(pinoOptions('warn'), out));
    access.write(request('/api/warranties'), response(200), '/api/warranties', 3);
    access.write(request('/api/warranties'), response(400), '/api/warranties', 3);
    assert.deepEqual(
      out.lines.map((line) => line.status),
      [400],
    );
  });
});
