import { ApiProperty } from '@nestjs/swagger';

export class FieldProblemView {
  @ApiProperty({ example: 'item_cost' }) field: string;
  @ApiProperty({ example: 'must be a JSON number with at most 2 decimal places' }) message: string;
}

/** Swagger schema of ErrorBody (api-error.ts). */
export class ErrorResponseView {
  @ApiProperty({ example: 400 }) statusCode: number;
  @ApiProperty({ example: 'Bad Request' }) error: string;
  @ApiProperty({
    example: 'VALIDATION_FAILED',
    description:
      'VALIDATION_FAILED, MALFORMED_JSON, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, ITEM_NOT_ELIGIBLE, NOT_FOUND, SERVICE_UNAVAILABLE, INTERNAL_ERROR',
  })
  code: string;
  @ApiProperty({ example: 'Invalid request: item_cost' }) message: string;
  @ApiProperty({ type: [FieldProblemView], description: 'Always present; empty when there is no field to name.' })
  details: FieldProblemView[];
}
