import { defineEntity, p } from '@mikro-orm/core';
import { ItemSchema } from '../items/item.entity.js';
import { StoreSchema } from '../stores/store.entity.js';

/**
 * One protection plan offered for an item, unique per (item, duration).
 * `store` and `itemType` repeat the item's values so that filtered, id-ordered pages walk one index
 * each instead of joining millions of items: (store_id, id) for ?store_uuid, (item_type, id) for
 * ?item_type — keyset pages whose cost does not depend on their depth.
 */
export const WarrantySchema = defineEntity({
  name: 'Warranty',
  tableName: 'warranty',
  uniques: [{ name: 'warranty_item_duration_unique', properties: ['item', 'durationMonths'] }],
  indexes: [
    { name: 'warranty_store_id_index', properties: ['store', 'id'] },
    { name: 'warranty_item_type_id_index', properties: ['itemType', 'id'] },
  ],
  checks: [
    { name: 'warranty_duration_months_check', expression: 'duration_months > 0' },
    { name: 'warranty_price_check', expression: 'price >= 0' },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    item: p.manyToOne(ItemSchema).fieldName('item_id').foreignKeyName('warranty_item_id_fkey').deleteRule('cascade'),
    store: p.manyToOne(StoreSchema).fieldName('store_id').foreignKeyName('warranty_store_id_fkey'),
    itemType: p.string().length(64),
    durationMonths: p.smallint(),
    price: p.decimal('string').precision(12).scale(2),
    pricingVersion: p.string().length(32),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});
