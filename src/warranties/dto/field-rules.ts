import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { ITEM_TYPE_VALUES, ITEM_TYPES } from '../../openapi/schema-extensions.js';
import { SHIPPED_PRICING } from '../../pricing/pricing-rules.js';

// One home for the field rules that POST bodies and GET filters share (SPEC: "same rules as the POST fields").

const trim = Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));
const trimAndLowerCase = Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));
/**
 * No control characters (C0, DEL, C1) nor line/paragraph separators. Written without the `u` flag on
 * purpose: it is published in the OpenAPI document, where generated clients compile it without flags.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const PRINTABLE = /^[^\u0000-\u001F\u007F-\u009F\u2028\u2029]+$/;

/** Lone UTF-16 surrogates (possible in JSON via \uD800) cannot be stored as UTF-8 text. */
const wellFormed = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isWellFormedText',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && (value as string & { isWellFormed(): boolean }).isWellFormed(),
        defaultMessage: () => 'must not contain unpaired surrogate characters',
      },
    },
    options,
  );

interface FieldRule {
  description: string;
  /** Schema extensions published with the field. */
  extensions?: object;
  example: string;
  minLength: number;
  maxLength: number;
  pattern: RegExp;
  patternMessage: string;
  normalise: PropertyDecorator;
}

const RULES = {
  store_uuid: {
    description: "The store's own identifier (opaque; 15-hex-char ids and RFC UUIDs both work). Trimmed.",
    example: 'b21ad0676f26439',
    minLength: 1,
    maxLength: 64,
    pattern: /^[A-Za-z0-9_-]+$/,
    patternMessage: 'may only contain A-Z, a-z, 0-9, _ and -',
    normalise: trim,
  },
  item_type: {
    description:
      `Kind of product, one of the types of the pricing table in force for the store (GET /api/pricing; the shipped version ` +
      `${SHIPPED_PRICING.version}: ${ITEM_TYPES.join(', ')}). Trimmed and lower-cased. A type a later version adds is accepted; ` +
      `a type the store's table does not price is well-formed but gets 422 ITEM_NOT_ELIGIBLE.`,
    example: 'furniture',
    extensions: ITEM_TYPE_VALUES,
    minLength: 1,
    maxLength: 64,
    pattern: /^[a-z0-9_-]+$/,
    patternMessage: 'may only contain a-z, 0-9, _ and - (it is lower-cased first)',
    normalise: trimAndLowerCase,
  },
  item_sku: {
    description: "The retailer's SKU, unique within a store. Trimmed; printable characters only.",
    example: '986kjeo8fy9qhu',
    minLength: 1,
    maxLength: 128,
    pattern: PRINTABLE,
    patternMessage: 'must not contain control characters',
    normalise: trim,
  },
  item_title: {
    description: 'Product title shown to shoppers. Trimmed; printable characters only.',
    example: "Amy's Sectional Sofa",
    minLength: 1,
    maxLength: 255,
    pattern: PRINTABLE,
    patternMessage: 'must not contain control characters',
    normalise: trim,
  },
  version: {
    description: 'Name of a pricing version, unique: recorded as `pricing_version` on every plan it prices. Trimmed.',
    example: '2027-01-01',
    minLength: 1,
    maxLength: 32,
    pattern: /^[A-Za-z0-9._-]+$/,
    patternMessage: 'may only contain A-Z, a-z, 0-9, ., _ and -',
    normalise: trim,
  },
} satisfies Record<string, FieldRule>;

export type TextField = keyof typeof RULES;

function validators(field: TextField): PropertyDecorator[] {
  const rule = RULES[field];
  return [
    rule.normalise,
    IsString({ message: 'must be a string' }),
    Length(rule.minLength, rule.maxLength, { message: `must be ${rule.minLength} to ${rule.maxLength} characters long` }),
    Matches(rule.pattern, { message: rule.patternMessage }),
    wellFormed(),
  ];
}

function schema(field: TextField) {
  const rule: FieldRule = RULES[field];
  const { description, minLength, maxLength, pattern } = rule;
  return { type: String, description, minLength, maxLength, pattern: pattern.source, ...rule.extensions };
}

/** A text field that must be present (POST body). */
export function RequiredText(field: TextField): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ ...schema(field), example: RULES[field].example }),
    IsDefined({ message: 'is required' }),
    ...validators(field),
  );
}

/**
 * The same text field as an optional filter (GET query), under a possibly different name. No
 * `example`: Swagger UI pre-fills "Try it out" inputs from a parameter's example, so every filter
 * would be sent; the description gives one instead.
 */
export function OptionalText(field: TextField, description?: string): PropertyDecorator {
  const base = schema(field);
  return applyDecorators(
    ApiPropertyOptional({ ...base, description: `${description ?? base.description} Example: \`${RULES[field].example}\`.` }),
    IsOptional(),
    ...validators(field),
  );
}

/**
 * An optional list of one text field (e.g. `store_uuids`), at most `maxItems` entries, each
 * trimmed and checked with the field's rules; a message names the rule an entry broke.
 */
export function OptionalTextList(field: TextField, description: string, maxItems: number): PropertyDecorator {
  const rule: FieldRule = RULES[field];
  const each = { each: true };
  const { minLength, maxLength, pattern } = rule;
  return applyDecorators(
    ApiPropertyOptional({
      type: 'array',
      items: { type: 'string', minLength, maxLength, pattern: pattern.source, example: rule.example },
      maxItems,
      description,
    }),
    IsOptional(),
    Transform(({ value }) => (Array.isArray(value) ? value.map((entry) => (typeof entry === 'string' ? entry.trim() : entry)) : value)),
    IsArray({ message: `must be an array of at most ${maxItems} entries` }),
    ArrayMaxSize(maxItems, { message: `must be an array of at most ${maxItems} entries` }),
    IsString({ ...each, message: 'each entry must be a string' }),
    Length(minLength, maxLength, { ...each, message: `each entry must be ${minLength} to ${maxLength} characters long` }),
    Matches(pattern, { ...each, message: `each entry ${rule.patternMessage}` }),
    wellFormed({ ...each, message: 'each entry must not contain unpaired surrogate characters' }),
  );
}
