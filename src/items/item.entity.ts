import { defineEntity, p } from '@mikro-orm/core';
import { StoreSchema } from '../stores/store.entity.js';

/**
 * A store's product, unique per (store, SKU); the latest POST's type, title and cost win.
 * `pricingVersion` is the version that priced its plan set: plans are a pure function of (version, type,
 * cost), so the row alone says whether a write changes the item. Its change position for the change feed
 * is `(changeXid, id)`: the id of the transaction that last changed its fields or plan set (see README,
 * "Change feed"); `createdXid` the one that created it.
 */
export const ItemSchema = defineEntity({
  name: 'Item',
  tableName: 'item',
  uniques: [{ name: 'item_store_sku_unique', properties: ['store', 'sku'] }],
  indexes: [
    // GET ?sku= across stores.
    { name: 'item_sku_index', properties: ['sku'] },
    // The change feed: every store's changes, and one store's, walked from a position.
    { name: 'item_change_index', properties: ['changeXid', 'id'] },
    { name: 'item_store_change_index', properties: ['store', 'changeXid', 'id'] },
  ],
  checks: [{ name: 'item_cost_check', expression: 'cost > 0' }],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    store: p.manyToOne(StoreSchema).fieldName('store_id').foreignKeyName('item_store_id_fkey'),
    sku: p.string().length(128),
    type: p.string().length(64),
    title: p.string().length(255),
    cost: p.decimal('string').precision(12).scale(2),
    // Null only for a row an older build of the service wrote (one without the change feed).
    pricingVersion: p.string().length(32).nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
    createdXid: p.string().columnType('xid8').defaultRaw('pg_current_xact_id()'),
    changeXid: p.string().columnType('xid8').defaultRaw('pg_current_xact_id()'),
    changedAt: p.datetime().defaultRaw('now()'),
  },
});
