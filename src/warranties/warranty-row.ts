import { centsFromDecimal, centsToAmount } from '../pricing/money.js';
import type { WarrantyView } from './dto/warranty.view.js';

/** A warranty joined with its item and store, as the SQL in this module selects it. */
export interface WarrantyRow {
  id: string | number;
  store_id: string | number;
  store_uuid: string;
  item_sku: string;
  item_type: string;
  item_title: string;
  item_cost: string;
  warranty_price: string;
  warranty_duration_months: number;
  pricing_version: string;
  created_at: Date | string;
  updated_at: Date | string;
  [column: string]: unknown;
}

const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();

export function toWarrantyView(row: WarrantyRow): WarrantyView {
  return {
    id: Number(row.id),
    store_id: Number(row.store_id),
    store_uuid: row.store_uuid,
    item_sku: row.item_sku,
    item_type: row.item_type,
    item_title: row.item_title,
    item_cost: centsToAmount(centsFromDecimal(String(row.item_cost))),
    warranty_price: centsToAmount(centsFromDecimal(String(row.warranty_price))),
    warranty_duration_months: Number(row.warranty_duration_months),
    pricing_version: row.pricing_version,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
