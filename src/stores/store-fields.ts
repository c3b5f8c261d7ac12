import { trim, type TextRule } from '../common/text-field.js';

/** store_uuid, wherever the API takes it (bodies, filters, pricing versions). */
export const STORE_UUID: TextRule = {
  description: "The store's own identifier (opaque; 15-hex-char ids and RFC UUIDs both work). Trimmed.",
  example: 'b21ad0676f26439',
  minLength: 1,
  maxLength: 64,
  characters: /^[A-Za-z0-9_-]+$/,
  charactersMessage: 'may only contain A-Z, a-z, 0-9, _ and -',
  normalise: trim,
};
