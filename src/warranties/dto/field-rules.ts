import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsOptional, IsString, ValidateBy } from 'class-validator';
import { ITEM_TYPE_VALUES, ITEM_TYPES } from '../../openapi/schema-extensions.js';
import { ACTIVE_PRICING } from '../../pricing/pricing-rules.js';

// One home for the field rules that POST bodies and GET filters share (SPEC: "same rules as the POST fields").

const trim = (value: string) => value.trim();
const trimAndLowerCase = (value: string) => value.trim().toLowerCase();
/** Canonically equivalent spellings (NFC/NFD `café`) are one value; trimmed first, lengths counted after. */
const trimAndCompose = (value: string) => value.trim().normalize('NFC');

/** Lone UTF-16 surrogates (possible in JSON via \uD800) cannot be stored as UTF-8 text. */
const WellFormed = ValidateBy({
  name: 'isWellFormedText',
  validator: {
    validate: (value: unknown) => typeof value === 'string' && (value as string & { isWellFormed(): boolean }).isWellFormed(),
    defaultMessage: () => 'must not contain unpaired surrogate characters',
  },
});

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
      `Kind of product, one of the pricing table's types (GET /api/pricing; pricing ${ACTIVE_PRICING.version}: ` +
      `${ITEM_TYPES.join(', ')}). Trimmed and lower-cased. Any other type is well-formed but gets 422 ITEM_NOT_ELIGIBLE.`,
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
} satisfies Record<string, FieldRule>;

export type TextField = keyof typeof TEXT_RULES;

const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

function validators(field: TextField): PropertyDecorator[] {
  const rule: FieldRule = TEXT_RULES[field];
  const lengthMessage = `must be ${rule.minLength} to ${rule.maxLength} characters long, counted in Unicode code points`;
  return [
    Transform(({ value }) => (typeof value === 'string' ? rule.normalise(value) : value)),
    IsString({ message: 'must be a string' }),
    ValidateBy({
      name: 'isCodePointLength',
      validator: {
        validate: (value: unknown) => {
          const length = typeof value === 'string' ? codePointLength(value) : -1;
          return length >= rule.minLength && length <= rule.maxLength;
        },
        defaultMessage: (args) => `${lengthMessage} (this one has ${codePointLength(String(args?.value))})`,
      },
    }),
    ValidateBy({
      name: 'hasAllowedCharacters',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && rule.characters.test(value),
        // Names the first refused character by code point: never echoes the input itself.
        defaultMessage: (args) => {
          const refused = [...String(args?.value)].find((char) => !rule.characters.test(char));
          return refused === undefined ? rule.charactersMessage : `${rule.charactersMessage} (found ${codePoint(refused)})`;
        },
      },
    }),
    WellFormed,
  ];
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
