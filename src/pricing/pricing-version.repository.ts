import { Injectable } from '@nestjs/common';
import { centsFromDecimal, centsToDecimal } from '../common/money.js';
import { Sql } from '../database/sql.js';
import type { ItemTypeRule, PlanRule } from './pricing-table.js';
import type { PricingVersion } from './pricing-version.js';
import type { VersionDraft } from './version-rules.js';

/** A scheduled version cannot be withdrawn in its last second: the withdrawal must reach every instance before they switch to it. */
export const WITHDRAW_MARGIN_MS = 1_000;

interface VersionRow {
  id: string;
  version: string;
  effective_ms: number;
  store_uuids: string[];
  item_type: string;
  min_cost: string;
  max_cost: string;
  duration_months: number;
  base: string;
  rate_basis_points: number;
  [column: string]: unknown;
}

/**
 * The pricing_version, pricing_item_type and pricing_plan tables. Cold paths (a publication, a
 * withdrawal, a reload when versions change or every PRICING_RELOAD_INTERVAL_MS), but each write is
 * several statements and a NOTIFY in one transaction, so they run on Sql, whose transactions never
 * leak a connection that failed (README "Where SQL lives").
 */
@Injectable()
export class PricingVersionRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts a version with its item types and plans, inside the caller's transaction; false when the name is taken. */
  async insert(draft: VersionDraft): Promise<boolean> {
    const [row] = await this.sql.query<{ id: string }>(
      `INSERT INTO pricing_version (version, effective_from, store_uuids) VALUES (?, ?, ?::text[])
       ON CONFLICT (version) DO NOTHING RETURNING id`,
      [draft.version, new Date(draft.effectiveFrom), draft.storeUuids],
    );
    if (!row) return false;
    const types = draft.itemTypes;
    await this.sql.query(
      `INSERT INTO pricing_item_type (version_id, item_type, min_cost, max_cost)
       SELECT ?, t.item_type, t.min_cost, t.max_cost FROM unnest(?::text[], ?::numeric[], ?::numeric[]) AS t (item_type, min_cost, max_cost)`,
      [
        row.id,
        types.map((rule) => rule.itemType),
        types.map((rule) => centsToDecimal(rule.minCostCents)),
        types.map((rule) => centsToDecimal(rule.maxCostCents)),
      ],
    );
    const plans = types.flatMap((rule) => rule.plans.map((plan) => ({ itemType: rule.itemType, plan })));
    await this.sql.query(
      `INSERT INTO pricing_plan (item_type_id, duration_months, base, rate_basis_points)
       SELECT t.id, p.duration_months, p.base, p.rate_basis_points
       FROM unnest(?::text[], ?::smallint[], ?::numeric[], ?::integer[]) AS p (item_type, duration_months, base, rate_basis_points)
       JOIN pricing_item_type t ON t.version_id = ? AND t.item_type = p.item_type`,
      [
        plans.map((entry) => entry.itemType),
        plans.map((entry) => entry.plan.durationMonths),
        plans.map((entry) => centsToDecimal(entry.plan.baseCents)),
        plans.map((entry) => entry.plan.rateBasisPoints),
        row.id,
      ],
    );
    return true;
  }

  /**
   * Deletes a version (its types and plans go with it) if it is still scheduled by the database's
   * clock, at least WITHDRAW_MARGIN_MS ahead. Otherwise says whether there is no such version or
   * when it takes (took) effect.
   */
  async withdraw(version: string): Promise<{ withdrawn: true } | { withdrawn: false; effectiveFrom?: number }> {
    const deleted = await this.sql.query(
      `DELETE FROM pricing_version WHERE version = ? AND effective_from > now() + ? * interval '1 millisecond' RETURNING id`,
      [version, WITHDRAW_MARGIN_MS],
    );
    if (deleted.length > 0) return { withdrawn: true };
    const [row] = await this.sql.query<{ effective_from: Date }>('SELECT effective_from FROM pricing_version WHERE version = ?', [version]);
    return { withdrawn: false, effectiveFrom: row ? new Date(row.effective_from).getTime() : undefined };
  }

  /** The ids of every published version: what a reload compares with what it holds (versions never change, so ids suffice). */
  async ids(): Promise<number[]> {
    const rows = await this.sql.query<{ id: string }>('SELECT id FROM pricing_version');
    return rows.map((row) => Number(row.id));
  }

  /** The given versions, whole; in one statement, so a version withdrawn meanwhile is absent rather than half-read. */
  async load(ids: readonly number[]): Promise<PricingVersion[]> {
    const rows = await this.sql.query<VersionRow>(
      `SELECT v.id, v.version, floor(extract(epoch FROM v.effective_from) * 1000)::float8 AS effective_ms, v.store_uuids, t.item_type, t.min_cost, t.max_cost,
              p.duration_months, p.base, p.rate_basis_points
       FROM pricing_version v
       JOIN pricing_item_type t ON t.version_id = v.id
       JOIN pricing_plan p ON p.item_type_id = t.id
       WHERE v.id = ANY(?::bigint[])`,
      [ids],
    );
    // Item types in a Map until the table is built: a type named `__proto__` must stay a plain key.
    const versions = new Map<string, { head: VersionRow; itemTypes: Map<string, ItemTypeRule & { plans: PlanRule[] }> }>();
    for (const row of rows) {
      let version = versions.get(row.id);
      if (!version) versions.set(row.id, (version = { head: row, itemTypes: new Map() }));
      let rule = version.itemTypes.get(row.item_type);
      if (!rule) {
        rule = { minCostCents: centsFromDecimal(row.min_cost), maxCostCents: centsFromDecimal(row.max_cost), plans: [] };
        version.itemTypes.set(row.item_type, rule);
      }
      rule.plans.push({
        durationMonths: Number(row.duration_months),
        baseCents: centsFromDecimal(row.base),
        rateBasisPoints: Number(row.rate_basis_points),
      });
    }
    return [...versions.values()].map(({ head, itemTypes }) => {
      for (const rule of itemTypes.values()) rule.plans.sort((a, b) => a.durationMonths - b.durationMonths);
      return {
        table: { version: head.version, itemTypes: Object.fromEntries(itemTypes) },
        effectiveFrom: Number(head.effective_ms),
        storeUuids: head.store_uuids,
        sequence: Number(head.id),
      };
    });
  }
}
