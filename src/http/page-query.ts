import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min, ValidateBy } from 'class-validator';

// The query parameters every keyset-paged list shares: `limit` and `cursor`.

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

const MESSAGE = `must be an integer from 1 to ${MAX_PAGE_SIZE}`;

/** The optional `limit` query parameter of a paged list: an integer from 1 to MAX_PAGE_SIZE (DEFAULT_PAGE_SIZE when absent). */
export function PageLimit(description = 'Page size.'): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description }),
    IsOptional(),
    Transform(({ value }) => (typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value)),
    IsInt({ message: MESSAGE }),
    Min(1, { message: MESSAGE }),
    Max(MAX_PAGE_SIZE, { message: MESSAGE }),
  );
}

/** The optional `cursor` query parameter: accepted only when `decode` recognises it as one this API issued. */
export function PageCursor(description: string, decode: (cursor: string) => unknown): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, description }),
    IsOptional(),
    ValidateBy({
      name: 'isPageCursor',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && decode(value) !== undefined,
        defaultMessage: () => 'is not a cursor this API issued',
      },
    }),
  );
}
