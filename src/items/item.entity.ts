import { defineEntity, p } from '@mikro-orm/core';
import { StoreSchema } from '../stores/store.entity.js';

/** A store's product, unique per (store, SKU); the latest POST's type, title and cost win. */
export const ItemSchema = defineEntity({
  name: 'Item',
  tableName: 'item',
  uniques: [{ name: 'item_store_sku_unique', properties: ['store', 'sku'] }],
  // GET ?sku= across stores.
  indexes: [{ name: 'item_sku_index', properties: ['sku'] }],
  checks: [{ name: 'item_cost_check', expression: 'cost > 0' }],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    store: p.manyToOne(StoreSchema).fieldName('store_id').foreignKeyName('item_store_id_fkey'),
    sku: p.string().length(128),
    type: p.string().length(64),
    title: p.string().length(255),
    cost: p.decimal('string').precision(12).scale(2),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});
