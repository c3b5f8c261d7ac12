import { trimAndCompose, type TextRule } from '../common/text-field.js';

export const ITEM_SKU: TextRule = {
  description:
    "The retailer's SKU, unique within a store. Trimmed, then NFC-normalized (canonically equivalent spellings are one SKU); " +
    'lengths count Unicode code points. No control, format (zero-width, bidi, BOM, tags) or private-use characters, no noncharacters.',
  example: '986kjeo8fy9qhu',
  minLength: 1,
  maxLength: 128,
  characters: /^[^\p{Cc}\p{Cf}\p{Co}\p{Noncharacter_Code_Point}\p{Zl}\p{Zp}]+$/u,
  charactersMessage: 'must not contain control, format (zero-width, bidi, BOM) or private-use characters, nor noncharacters',
  normalise: trimAndCompose,
};

export const ITEM_TITLE: TextRule = {
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
};
