import { Injectable, ValidationPipe, type ArgumentMetadata, type Type, type ValidationError } from '@nestjs/common';
import { getMetadataStorage, type ValidatorOptions } from 'class-validator';
import type { FieldProblem } from '../common/field-problem.js';
import { ApiError } from './api-error.js';
import { DtoRules } from './dto-rules.js';

/** Every failed rule, nested ones named by their path (`item_types[0].plans[1].rate`). */
function problems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field =
      parent === '' ? error.property : /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`;
    if (error.constraints?.whitelistValidation) return [{ field, message: 'is not an accepted field' }];
    if (!error.constraints && error.children?.length) return problems(error.children, field);
    return [{ field, message: Object.values(error.constraints ?? { invalid: 'is invalid' }).join('; ') }];
  });
}

/** The properties a DTO class declares rules for: the only keys a body or query may have. */
const acceptedKeysCache = new WeakMap<Type<object>, Set<string>>();
function acceptedKeys(metatype: Type<object>): Set<string> {
  let keys = acceptedKeysCache.get(metatype);
  if (!keys) {
    keys = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(metatype, '', true, false)
        .map((rule) => rule.propertyName),
    );
    acceptedKeysCache.set(metatype, keys);
  }
  return keys;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Nest's ValidationPipe with our error shape: every bad field named, the first broken rule per field
 * (one clear message each). Two checks it lacks: the body or query must be an object, and only own
 * keys exactly equal to a declared field are accepted — class-validator's whitelist looks keys up in
 * a plain object, so `toString`, `valueOf` and the like pass it, and `__proto__` is dropped silently.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  /** Whether DtoRules runs the rules as class-validator would under these options (decided once: they are fixed). */
  private readonly shortcut: boolean;

  constructor() {
    const options = {
      whitelist: true,
      forbidNonWhitelisted: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    } satisfies ValidatorOptions;
    super({ ...options, transform: true, exceptionFactory: (errors) => ApiError.validation(problems(errors)) });
    this.shortcut = DtoRules.models(options);
  }

  /**
   * A valid value is accepted without class-validator's executor (DtoRules); anything else gets
   * class-validator's errors. Nest calls this with the options above, plus `validationError` or
   * `forbidUnknownValues`, which DtoRules models too.
   */
  protected override validate(object: object, options?: ValidatorOptions): Promise<ValidationError[]> | ValidationError[] {
    if (this.shortcut && DtoRules.of(object.constructor as Type<object>)?.accepts(object)) return [];
    return super.validate(object, options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Route params are checked where they are read (the controller): only bodies and queries have DTOs.
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    const metatype = metadata.metatype as Type<object> | undefined;
    if (!metatype || !this.toValidate(metadata)) return super.transform(value, metadata);
    if (!isObject(value)) throw ApiError.validation([{ field: metadata.type, message: 'must be a JSON object' }]);
    const accepted = acceptedKeys(metatype);
    const foreign = Object.keys(value).filter((key) => !accepted.has(key));
    if (foreign.length === 0) return super.transform(value, metadata);
    // Report the foreign keys together with whatever is wrong with the declared ones.
    const found: FieldProblem[] = foreign.map((field) => ({ field, message: 'is not an accepted field' }));
    const declared = Object.fromEntries(Object.entries(value).filter(([key]) => accepted.has(key)));
    try {
      await super.transform(declared, metadata);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      found.push(...error.details);
    }
    throw ApiError.validation(found);
  }
}
