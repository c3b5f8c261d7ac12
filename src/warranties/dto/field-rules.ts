import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsOptional, IsString, ValidateBy, type ValidationOptions } from 'class-validator';
import { ITEM_TYPE_VALUES, ITEM_TYPES } from '../../openapi/schema-extensions.js';
import { SHIPPED_PRICING } from '../../pricing/pricing-rules.js';

// One home for the field rules that POST bodies and GET filters share (SPEC: "same rules as the POST fields").

const trim = (value: string) => value.trim();
const trimAndLowerCase = (value: string) => value.trim().toLowerCase();
/** Canonically equivalent spellings (NFC/NFD `café`) are one value; trimmed first, lengths counted after. */
const trimAndCompose = (value: string) => value.trim().normalize('NFC');

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

/** Length in Unicode code points, as PostgreSQL counts `varchar(n)` (not UTF-16 units, not graphemes). */
export function codePointLength(value: string): number {
  return [...value].length; // the string iterator yields code points (a lone surrogate counts as one)
}

interface FieldRule {
  description: string;
  /** Schema extensions published with the field. */
  extensions?: object;
  example: string;
  minLength: number;
  maxLength: number;
  /**
   * The characters a value may hold, as one character class repeated (`^[…]+$`): the server's check.
   * With the `u` flag it may use Unicode properties; the OpenAPI document then gets its flag-less form
   * (publishedPattern).
   */
  characters: RegExp;
  charactersMessage: string;
  /** Applied before every check; the controller receives (and the database stores) the result. */
  normalise: (value: string) => string;
}

export const TEXT_RULES = {
  store_uuid: {
    description: "The store's own identifier (opaque; 15-hex-char ids and RFC UUIDs both work). Trimmed.",
    example: 'b21ad0676f26439',
    minLength: 1,
    maxLength: 64,
    characters: /^[A-Za-z0-9_-]+$/,
    charactersMessage: 'may only contain A-Z, a-z, 0-9, _ and -',
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
    characters: /^[a-z0-9_-]+$/,
    charactersMessage: 'may only contain a-z, 0-9, _ and - (it is lower-cased first)',
    normalise: trimAndLowerCase,
  },
  item_sku: {
    description:
      "The retailer's SKU, unique within a store. Trimmed, then NFC-normalized (canonically equivalent spellings are one SKU); " +
      'lengths count Unicode code points. No control, format (zero-width, bidi, BOM, tags) or private-use characters, no noncharacters.',
    example: '986kjeo8fy9qhu',
    minLength: 1,
    maxLength: 128,
    characters: /^[^\p{Cc}\p{Cf}\p{Co}\p{Noncharacter_Code_Point}\p{Zl}\p{Zp}]+$/u,
    charactersMessage: 'must not contain control, format (zero-width, bidi, BOM) or private-use characters, nor noncharacters',
    normalise: trimAndCompose,
  },
  item_title: {
    description:
      'Product title shown to shoppers. Trimmed, then NFC-normalized; lengths count Unicode code points. ' +
      'No control characters, bidi override/isolate controls (U+202A–U+202E, U+2066–U+2069) or noncharacters; ' +
      'emoji sequences (ZWJ, variation selectors) are fine.',
    example: "Amy's Sectional Sofa",
    minLength: 1,
    maxLength: 255,
    characters: /^[^\p{Cc}\u202A-\u202E\u2066-\u2069\p{Noncharacter_Code_Point}\p{Zl}\p{Zp}]+$/u,
    charactersMessage: 'must not contain control characters, bidi override/isolate controls or noncharacters',
    normalise: trimAndCompose,
  },
  version: {
    description: 'Name of a pricing version, unique: recorded as `pricing_version` on every plan it prices. Trimmed.',
    example: '2027-01-01',
    minLength: 1,
    maxLength: 32,
    characters: /^[A-Za-z0-9._-]+$/,
    charactersMessage: 'may only contain A-Z, a-z, 0-9, ., _ and -',
    normalise: trim,
  },
} satisfies Record<string, FieldRule>;

export type TextField = keyof typeof TEXT_RULES;

const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The checks of one field, after its normalisation. With `each`, for every entry of an array (the
 * messages then say "each entry …").
 */
function checks(field: TextField, each = false): PropertyDecorator[] {
  const rule: FieldRule = TEXT_RULES[field];
  const options: ValidationOptions = { each };
  const subject = each ? 'each entry ' : '';
  const lengthMessage = `${subject}must be ${rule.minLength} to ${rule.maxLength} characters long, counted in Unicode code points`;
  return [
    IsString({ ...options, message: `${subject}must be a string` }),
    ValidateBy(
      {
        name: 'isCodePointLength',
        validator: {
          validate: (value: unknown) => {
            const length = typeof value === 'string' ? codePointLength(value) : -1;
            return length >= rule.minLength && length <= rule.maxLength;
          },
          defaultMessage: (args) => `${lengthMessage} (this one has ${codePointLength(String(args?.value))})`,
        },
      },
      options,
    ),
    ValidateBy(
      {
        name: 'hasAllowedCharacters',
        validator: {
          validate: (value: unknown) => typeof value === 'string' && rule.characters.test(value),
          // Names the first refused character by code point: never echoes the input itself.
          defaultMessage: (args) => {
            const refused = [...String(args?.value)].find((char) => !rule.characters.test(char));
            const message = `${subject}${rule.charactersMessage}`;
            return refused === undefined ? message : `${message} (found ${codePoint(refused)})`;
          },
        },
      },
      options,
    ),
    wellFormed({ ...options, message: `${subject}must not contain unpaired surrogate characters` }),
  ];
}

function validators(field: TextField): PropertyDecorator[] {
  const rule: FieldRule = TEXT_RULES[field];
  return [Transform(({ value }) => (typeof value === 'string' ? rule.normalise(value) : value)), ...checks(field)];
}

/**
 * A field's character rule as the OpenAPI document publishes it: without the `u` flag, because
 * generated clients compile patterns with and without it. A rule with Unicode properties becomes the
 * class of every BMP character (surrogates aside) it refuses, listed from the rule itself, so the two
 * agree on the whole BMP; a negated class of BMP characters means the same in both compile modes.
 * What it cannot say: refused characters beyond the BMP (see README), which it lets through.
 */
export function publishedPattern(characters: RegExp): string {
  if (!characters.unicode) return characters.source;
  let pattern = publishedPatterns.get(characters);
  if (pattern === undefined) publishedPatterns.set(characters, (pattern = bmpPattern(characters)));
  return pattern;
}
const publishedPatterns = new WeakMap<RegExp, string>();

function bmpPattern(characters: RegExp): string {
  const refused: [number, number][] = [];
  for (let point = 0; point <= 0xffff; point++) {
    if ((point >= 0xd800 && point <= 0xdfff) || characters.test(String.fromCharCode(point))) continue;
    const last = refused.at(-1);
    if (last && last[1] === point - 1) last[1] = point;
    else refused.push([point, point]);
  }
  const escape = (point: number) => `\\u${point.toString(16).toUpperCase().padStart(4, '0')}`;
  return `^[^${refused.map(([from, to]) => (from === to ? escape(from) : `${escape(from)}-${escape(to)}`)).join('')}]+$`;
}

function schema(field: TextField) {
  const rule: FieldRule = TEXT_RULES[field];
  const { description, minLength, maxLength } = rule;
  return { type: String, description, minLength, maxLength, pattern: publishedPattern(rule.characters), ...rule.extensions };
}

/** A text field that must be present (POST body). */
export function RequiredText(field: TextField): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ ...schema(field), example: TEXT_RULES[field].example }),
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
    ApiPropertyOptional({ ...base, description: `${description ?? base.description} Example: \`${TEXT_RULES[field].example}\`.` }),
    IsOptional(),
    ...validators(field),
  );
}

/**
 * An optional list of one text field (e.g. `store_uuids`), at most `maxItems` entries, each
 * trimmed and checked with the field's rules; a message names the rule an entry broke.
 */
export function OptionalTextList(field: TextField, description: string, maxItems: number): PropertyDecorator {
  const rule: FieldRule = TEXT_RULES[field];
  const { minLength, maxLength } = rule;
  return applyDecorators(
    ApiPropertyOptional({
      type: 'array',
      items: { type: 'string', minLength, maxLength, pattern: publishedPattern(rule.characters), example: rule.example },
      maxItems,
      description,
    }),
    IsOptional(),
    Transform(({ value }) =>
      Array.isArray(value) ? value.map((entry) => (typeof entry === 'string' ? rule.normalise(entry) : entry)) : value,
    ),
    IsArray({ message: `must be an array of at most ${maxItems} entries` }),
    ArrayMaxSize(maxItems, { message: `must be an array of at most ${maxItems} entries` }),
    ...checks(field, true),
  );
}
