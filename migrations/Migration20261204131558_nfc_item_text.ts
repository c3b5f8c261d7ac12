import { Migration } from '@mikro-orm/migrations';

/**
 * Existing SKUs and titles in NFC (issue 15: the service now stores them NFC, so an NFD row would never
 * be found or updated again). A SKU is left as it is where NFC would make it equal to another item of
 * its store (two rows for one SKU: which one wins is an operator's decision, see README, Operations) or
 * longer than its column; a title where NFC would make it too long. Needs PostgreSQL 13+ on UTF8.
 */
export class Migration20261204131558NfcItemText extends Migration {
  override name = 'Migration20261204131558_nfc_item_text';

  override up(): void | Promise<void> {
    this.addSql(`
      DO $$
      DECLARE
        left_as_they_are bigint;
      BEGIN
        IF current_setting('server_encoding') <> 'UTF8' OR current_setting('server_version_num')::int < 130000 THEN
          RAISE WARNING 'item SKUs and titles not NFC-normalized: that needs PostgreSQL 13 or later with the UTF8 encoding';
          RETURN;
        END IF;
        UPDATE item SET title = normalize(title, NFC)
         WHERE title IS NOT NFC NORMALIZED AND char_length(normalize(title, NFC)) <= 255;
        UPDATE item i SET sku = normalize(i.sku, NFC)
         WHERE i.sku IS NOT NFC NORMALIZED
           AND char_length(normalize(i.sku, NFC)) <= 128
           AND NOT EXISTS (SELECT 1 FROM item other
                            WHERE other.store_id = i.store_id AND other.id <> i.id
                              AND normalize(other.sku, NFC) = normalize(i.sku, NFC));
        SELECT count(*) INTO left_as_they_are FROM item WHERE sku IS NOT NFC NORMALIZED;
        IF left_as_they_are > 0 THEN
          RAISE WARNING '% item SKU(s) not NFC-normalized (a duplicate of another item of the store, or too long): see README, Operations',
            left_as_they_are;
        END IF;
      END $$`);
  }

  override down(): void | Promise<void> {
    // Nothing to undo: an NFC value is canonically equivalent to what was there.
  }
}
