import { defineEntity, p } from '@mikro-orm/core';

/** A retail store, known by the opaque `store_uuid` it chooses; created the first time it posts. */
export const StoreSchema = defineEntity({
  name: 'Store',
  tableName: 'store',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    uuid: p.string().length(64).unique('store_uuid_unique'),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
