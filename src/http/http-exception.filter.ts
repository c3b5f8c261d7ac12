import { Catch, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { DatabaseOutage } from '../database/database-outage.js';
import type { RequestWithBodyProblems, RequestWithContext } from './request-context.js';
import { sendErrorBody, toErrorBody } from './error-body.js';
import { ApiError } from './api-error.js';
import { mergeBodyProblems } from './json-body-check.js';

/**
 * The single place errors leave the service (registered globally in AppModule). A 503 (database
 * unavailable: expected during an outage) is logged once per outage by DatabaseOutage; any other
 * 5xx is a bug, logged with its stack (which never reaches the client).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  constructor(private readonly outage: DatabaseOutage) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<RequestWithContext & RequestWithBodyProblems>();
    const response = http.getResponse<Response>();
    let body = toErrorBody(exception);
    if (request.bodyProblems && body.code === 'VALIDATION_FAILED') {
      // Validation saw the body without its unstorable / too deep parts: name those fields in their place.
      body = toErrorBody(ApiError.validation(mergeBodyProblems(request.bodyProblems, body.details)));
    }
    if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE) this.outage.failed(exception);
    else if (body.statusCode >= 500) {
      this.logger.error({
        message: 'request failed',
        request_id: request.requestId,
        method: request.method,
        path: request.path,
        status: body.statusCode,
        error: exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      });
    }
    if (response.headersSent) return;
    sendErrorBody(response, body);
  }
}
