import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsNumber, Max, Min, ValidateBy } from 'class-validator';

export interface DecimalRule {
  description: string;
  example: number;
  /** The lowest value accepted; `exclusive`: only values above it. */
  min: { value: number; exclusive: boolean };
  max: number;
  /** Most decimal places accepted (2 for money). */
  decimals: number;
}

/** At most `decimals` places; ours because class-validator's maxDecimalPlaces throws on exponent notation such as 1e-7. */
const hasAtMostDecimals = (decimals: number) =>
  ValidateBy({
    name: 'hasAtMostDecimals',
    validator: {
      validate: (value: unknown) => typeof value === 'number' && Number(value.toFixed(decimals)) === value,
      defaultMessage: () => `must have at most ${decimals} decimal places`,
    },
  });

/**
 * A required JSON number field with a range and a number of decimal places, checked in this order
 * (the first failure is the one reported): present, a JSON number (not a string), at most `decimals`
 * places, the lower bound, the upper bound. No `multipleOf` in the schema (float validators misread
 * it): the places are published as the extension `x-decimal-places` and said in the description.
 */
export function DecimalField(rule: DecimalRule): PropertyDecorator {
  const { value: min, exclusive } = rule.min;
  return applyDecorators(
    ApiProperty({
      type: Number,
      description: rule.description,
      example: rule.example,
      // An exclusive lower bound is published as the smallest value it lets through.
      minimum: exclusive ? min + 10 ** -rule.decimals : min,
      maximum: rule.max,
      'x-decimal-places': rule.decimals,
    } as object),
    IsDefined({ message: 'is required' }),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a JSON number' }),
    hasAtMostDecimals(rule.decimals),
    exclusive
      ? ValidateBy({
          name: 'isAbove',
          validator: {
            validate: (value: unknown) => typeof value === 'number' && value > min,
            defaultMessage: () => `must be greater than ${min}`,
          },
        })
      : Min(min, { message: `must be ${min} or more` }),
    Max(rule.max, { message: `must not exceed ${rule.max}` }),
  );
}
