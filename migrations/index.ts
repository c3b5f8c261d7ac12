import { Migration20261125000000Initial } from './Migration20261125000000_initial.js';
import { Migration20261127125333ApiKeys } from './Migration20261127125333_api_keys.js';
import { Migration20261204123429PricingVersions } from './Migration20261204123429_pricing_versions.js';
import { Migration20261204131558NfcItemText } from './Migration20261204131558_nfc_item_text.js';

/** Every migration, in order. Listed explicitly so the compiled service needs no file globbing at start-up. */
export const migrationsList = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000Initial },
  { name: 'Migration20261127125333_api_keys', class: Migration20261127125333ApiKeys },
  { name: 'Migration20261204123429_pricing_versions', class: Migration20261204123429PricingVersions },
  { name: 'Migration20261204131558_nfc_item_text', class: Migration20261204131558NfcItemText },
];
