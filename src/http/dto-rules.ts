import {
  getMetadataStorage,
  ValidationTypes,
  type ValidationArguments,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata.js';

/** One rule of a property as class-validator registered it: its metadata and the constraint that checks it. */
interface Check {
  metadata: ValidationMetadata;
  constraint: ValidatorConstraintInterface;
}

interface PropertyRules {
  property: string;
  /** `@IsOptional()`, `@ValidateIf()`: when one says no, the property's rules are skipped. */
  conditions: ((object: object, value: unknown) => boolean)[];
  /** In class-validator's order: the "is defined" rules first, then the others as declared. */
  checks: Check[];
}

/** The options under which class-validator would run the rules exactly as `accepts` does. */
const MODELLED_OPTIONS = new Set<keyof ValidatorOptions>([
  'whitelist',
  'forbidNonWhitelisted',
  'stopAtFirstError',
  'validationError',
  'forbidUnknownValues',
]);

const isPromise = (value: unknown): boolean => typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * A DTO's class-validator rules, gathered once and run without class-validator's executor, to accept a
 * valid value quickly. The rules are class-validator's own — the same metadata, in the same order, the
 * same constraint functions — so the field rules keep their one home (the decorators, which also feed
 * OpenAPI). What it leaves out is the executor's bookkeeping: an error object per property, the
 * metadata regrouped and refiltered on every call, a promise per call. Measured: the validation pipe
 * took 160–260 µs of CPU per GET in the service at 100 requests/s (7 µs in a tight loop), about 14 %
 * of a GET's CPU (docs/performance.md).
 *
 * It only ever says "valid": anything else — a failed rule, a rule it does not model (nested objects,
 * `each`, async constraints, groups) — goes to class-validator, which produces the errors. So it can
 * cost a rejected value a second pass, never a different answer.
 */
export class DtoRules {
  private static readonly known = new WeakMap<object, DtoRules | null>();

  private constructor(
    private readonly properties: PropertyRules[],
    private readonly declared: ReadonlySet<string>,
  ) {}

  /** Whether class-validator, given `options`, runs rules exactly as `accepts` does (no groups, no skipping). */
  static models(options: ValidatorOptions): boolean {
    return Object.keys(options).every((option) => MODELLED_OPTIONS.has(option as keyof ValidatorOptions));
  }

  /** The rules of `metatype`, or undefined when class-validator must run them itself. */
  static of(metatype: new (...args: never[]) => object): DtoRules | undefined {
    let rules = DtoRules.known.get(metatype);
    if (rules === undefined) DtoRules.known.set(metatype, (rules = DtoRules.gather(metatype)));
    return rules ?? undefined;
  }

  private static gather(metatype: new (...args: never[]) => object): DtoRules | null {
    const storage = getMetadataStorage();
    // As class-validator's executor asks for them with no groups: always = false, strictGroups = false.
    const metadatas = storage.getTargetValidationMetadatas(metatype, '', false, false, undefined);
    if (metadatas.length === 0) return null; // forbidUnknownValues: class-validator refuses it
    const byProperty = new Map<string, { conditions: PropertyRules['conditions']; defined: Check[]; others: Check[] }>();
    for (const metadata of metadatas) {
      let rules = byProperty.get(metadata.propertyName);
      if (!rules) byProperty.set(metadata.propertyName, (rules = { conditions: [], defined: [], others: [] }));
      if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        rules.conditions.push(metadata.constraints[0] as (object: object, value: unknown) => boolean);
        continue;
      }
      if (metadata.type !== ValidationTypes.CUSTOM_VALIDATION && metadata.type !== ValidationTypes.IS_DEFINED) return null;
      if (metadata.each || metadata.context) return null;
      for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
        if (constraint.async) return null;
        (metadata.type === ValidationTypes.IS_DEFINED ? rules.defined : rules.others).push({ metadata, constraint: constraint.instance });
      }
    }
    const properties = [...byProperty].map(([property, { conditions, defined, others }]) => ({
      property,
      conditions,
      checks: [...defined, ...others],
    }));
    return new DtoRules(properties, new Set(byProperty.keys()));
  }

  /** True when class-validator would find no error in `object` (an instance of the DTO); false when it might. */
  accepts(object: object): boolean {
    for (const key of Object.keys(object)) if (!this.declared.has(key)) return false;
    const values = object as Record<string, unknown>;
    for (const { property, conditions, checks } of this.properties) {
      const value = values[property];
      if (!conditions.every((condition) => condition(object, value))) continue;
      for (const { metadata, constraint } of checks) {
        if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
        const args: ValidationArguments = {
          targetName: object.constructor.name,
          property,
          object,
          value,
          constraints: metadata.constraints,
        };
        let valid: unknown;
        try {
          valid = constraint.validate(value, args);
        } catch {
          return false; // class-validator meets the same throw, and answers as it always has
        }
        if (!valid || isPromise(valid)) return false;
      }
    }
    return true;
  }
}
