import { ACCESS_ERROR_CODES } from './access/access-api-errors.js';
import { HTTP_ERROR_CODES } from './http/error-response.view.js';
import { PRICING_ERROR_CODES } from './pricing/pricing-api-errors.js';

/** Every `code` the service sends in an error body: the documented enum (OpenAPI schema ErrorCode). */
export const ERROR_CODES: readonly string[] = [...HTTP_ERROR_CODES, ...ACCESS_ERROR_CODES, ...PRICING_ERROR_CODES];
