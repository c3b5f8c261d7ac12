import { Injectable, type ArgumentMetadata, type PipeTransform, type Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { ApiError, type FieldProblem } from './api-error.js';

const PRIMITIVES: unknown[] = [String, Number, Boolean, Array, Object];
/** Keys class-transformer drops silently, so the whitelist below would never see them. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function problems(errors: ValidationError[]): FieldProblem[] {
  return errors.map((error) => {
    if (error.constraints?.whitelistValidation) return { field: error.property, message: 'is not an accepted field' };
    return { field: error.property, message: Object.values(error.constraints ?? { invalid: 'is invalid' }).join('; ') };
  });
}

/**
 * Validates bodies and query strings against their DTO class: unknown fields are rejected, every bad
 * field is named, and the first broken rule per field is reported (one clear message each).
 */
@Injectable()
export class StrictValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype as Type<object> | undefined;
    if ((metadata.type !== 'body' && metadata.type !== 'query') || !metatype || PRIMITIVES.includes(metatype)) return value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw ApiError.validation([{ field: metadata.type, message: 'must be a JSON object' }]);
    }
    const instance = plainToInstance(metatype, value);
    const errors = await validate(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    });
    const unsafe = Object.keys(value)
      .filter((key) => UNSAFE_KEYS.has(key))
      .map((field) => ({ field, message: 'is not an accepted field' }));
    if (errors.length > 0 || unsafe.length > 0) throw ApiError.validation([...unsafe, ...problems(errors)]);
    return instance;
  }
}
