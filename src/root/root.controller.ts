import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';

export class ServiceIndexView {
  @ApiProperty({ example: 'warranty-service' }) service: string;
  @ApiProperty({ example: '/docs', description: 'Swagger UI.' }) docs: string;
  @ApiProperty({ example: '/docs-json', description: 'The OpenAPI document.' }) openapi: string;
  @ApiProperty({ example: '/health/ready', description: 'Readiness (what a load balancer polls).' }) health: string;
  @ApiProperty({ example: '/api/pricing', description: 'The active pricing table.' }) pricing: string;
}

const INDEX: ServiceIndexView = {
  service: 'warranty-service',
  docs: '/docs',
  openapi: '/docs-json',
  health: '/health/ready',
  pricing: '/api/pricing',
};

/** `GET /`: a small signpost instead of a 404 for whoever opens the service's address. */
@ApiTags('operations')
@Controller()
export class RootController {
  @Get()
  @ApiOperation({ operationId: 'getServiceIndex', summary: 'Where to start: links to the docs, the OpenAPI document and readiness' })
  @ApiOkResponse({ type: ServiceIndexView })
  index(): ServiceIndexView {
    return INDEX;
  }
}
