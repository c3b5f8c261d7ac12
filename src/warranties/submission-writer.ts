import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTransactionConflict } from '../database/database-errors.js';
import { Sql } from '../database/sql.js';
import { ItemRepository, type ItemFacts } from '../items/item.repository.js';
import type { Quote } from '../pricing/pricing.service.js';
import { StoresService } from '../stores/stores.service.js';
import { SubmissionMetrics } from './submission-metrics.js';
import type { SubmissionResult, SubmittedItem, Warranty } from './warranty.js';
import { WarrantyRepository, type SavedPlan } from './warranty.repository.js';

/** An item, priced: what to store and the plans it gets. */
export interface PricedItem {
  item: SubmittedItem;
  facts: ItemFacts;
  quote: Quote;
}

/** A write PostgreSQL aborts for a deadlock or a serialization failure runs again this many times at most. */
const MAX_RETRIES = 5;
/** Before retry n, a random pause of up to 10 × 2^(n-1) ms (at most 320 ms), so the writers that crossed don't cross again. */
const retryPause = (retry: number) => Math.random() * Math.min(10 * 2 ** (retry - 1), 320);

const sameItem = (a: ItemFacts, b: ItemFacts) => a.type === b.type && a.title === b.title && a.costCents === b.costCents;

const sameQuote = (a: Quote, b: Quote) =>
  a.pricingVersion === b.pricingVersion &&
  a.plans.length === b.plans.length &&
  a.plans.every((plan, i) => plan.durationMonths === b.plans[i].durationMonths && plan.priceCents === b.plans[i].priceCents);

/** The stored plans are exactly the quoted ones (same durations, prices and pricing version). */
const samePlans = (stored: SavedPlan[], quote: Quote) =>
  stored.length === quote.plans.length &&
  quote.plans.every((plan, i) => {
    const saved = stored[i];
    return (
      saved.durationMonths === plan.durationMonths && saved.priceCents === plan.priceCents && saved.pricingVersion === quote.pricingVersion
    );
  });

const keyOf = (priced: PricedItem) => `${priced.item.store_uuid}\u0000${priced.facts.sku}`;

/**
 * How to save `items` with the outcome of saving them one after another: rounds of positions whose
 * items are distinct (first occurrences in the first round, second ones in the second…, so an item
 * sent twice is saved twice, in order, and the later one wins), and repeats — an item sent exactly
 * as its previous occurrence, which gets that occurrence's plans unchanged (200) without a round of
 * its own, so hundreds of identical POSTs in one group cost one round.
 */
export function roundsAndRepeats(items: readonly PricedItem[]): { rounds: number[][]; repeats: [repeat: number, of: number][] } {
  const rounds: number[][] = [];
  const repeats: [number, number][] = [];
  const last = new Map<string, { index: number; round: number }>();
  items.forEach((priced, i) => {
    const key = keyOf(priced);
    const previous = last.get(key);
    if (previous && sameItem(items[previous.index].facts, priced.facts) && sameQuote(items[previous.index].quote, priced.quote)) {
      repeats.push([i, previous.index]);
      return;
    }
    const round = previous ? previous.round + 1 : 0;
    last.set(key, { index: i, round });
    (rounds[round] ??= []).push(i);
  });
  return { rounds, repeats };
}

function resultOf(storeId: number, priced: PricedItem, plans: readonly SavedPlan[]): SubmissionResult {
  const { item, facts } = priced;
  return {
    created: plans.some((plan) => plan.inserted),
    warranties: plans.map((plan): Warranty => ({
      id: plan.id,
      storeId,
      storeUuid: item.store_uuid,
      itemSku: item.item_sku,
      itemType: item.item_type,
      itemTitle: item.item_title,
      itemCostCents: facts.costCents,
      priceCents: plan.priceCents,
      durationMonths: plan.durationMonths,
      pricingVersion: plan.pricingVersion,
      createdAt: plan.createdAt,
      updatedAt: plan.updatedAt,
    })),
  };
}

/** An item of a round to write: its position in the write, its row and store, whether this write inserted it. */
interface Target {
  index: number;
  id: number;
  storeId: number;
  inserted: boolean;
}

/**
 * Saves submissions (a group commit's single POSTs, a batch's items): stores, items and plan sets
 * with a few set-based statements for any number of items, with the outcome of saving them one
 * after another, in one transaction with whatever the caller publishes about them. Writers of the
 * same items queue behind each other in one lock order; one PostgreSQL aborts all the same is run again.
 */
@Injectable()
export class SubmissionWriter {
  constructor(
    private readonly sql: Sql,
    private readonly stores: StoresService,
    private readonly items: ItemRepository,
    private readonly warranties: WarrantyRepository,
    private readonly metrics: SubmissionMetrics,
  ) {}

  /**
   * Saves `items` and hands their results (one per item, in order) to `publish`, which runs in the
   * same transaction (the archive's records are written there); resolves with what `publish` returns
   * once committed. A transaction PostgreSQL aborts for a deadlock or a serialization failure is run
   * again as a whole (`publish` too), at most MAX_RETRIES times, after a random pause: contention
   * between writers is the service's problem, not the client's.
   */
  async write<T>(items: readonly PricedItem[], publish: (results: SubmissionResult[]) => Promise<T>): Promise<T> {
    for (let retry = 1; ; retry++) {
      try {
        return await this.sql.transaction(async () => publish(items.length > 0 ? await this.save(items) : []));
      } catch (error) {
        if (!isTransactionConflict(error) || retry > MAX_RETRIES) throw error;
        this.metrics.writeRetried((error as { code?: string }).code === '40001' ? 'serialization' : 'deadlock');
        await sleep(retryPause(retry));
      }
    }
  }

  /**
   * Saves priced items (of one store or of several) inside the open transaction; one result per item.
   * Items stored exactly as sent, with exactly the quoted plans, are answered from what is stored: no
   * row lock and no rewrite, so identical re-sends (even hundreds at once) never queue. Every other
   * existing item is locked before the first change, all at once and in id order (ItemRepository.lock):
   * had each round locked its own, two writers sending the same items in different orders (an
   * unchanged item in one's first round is changed in its second) would lock them in opposite orders
   * and deadlock. New items are inserted, in store and SKU order, before any lock is taken.
   */
  private async save(items: readonly PricedItem[]): Promise<SubmissionResult[]> {
    const storeIds = await this.storeIdsOf(items);
    const results: SubmissionResult[] = new Array(items.length);
    const { rounds, repeats } = roundsAndRepeats(items);
    // The first round holds every item once: all are found or inserted there, later rounds only change them.
    const [first, ...later] = rounds;
    const sent = first.map((i) => items[i]);
    const stores = sent.map((priced) => storeIds.get(priced.item.store_uuid)!);
    const found = await this.items.insertOrFind(sent.map((priced, k) => ({ storeId: stores[k], facts: priced.facts })));
    const unchanged = sent.map((priced, k) => !found[k].inserted && sameItem(found[k].stored, priced.facts));
    const stored = unchanged.some(Boolean)
      ? await this.warranties.plansOf(found.filter((_, k) => unchanged[k]).map((item) => item.id))
      : new Map<number, SavedPlan[]>();
    const kept = sent.map((priced, k) => {
      const plans = unchanged[k] ? stored.get(found[k].id) : undefined;
      return plans && samePlans(plans, priced.quote) ? plans : undefined;
    });
    const changedLater = new Set(later.flat().map((i) => keyOf(items[i])));
    const toLock = found.filter((item, k) => !item.inserted && (!kept[k] || changedLater.has(keyOf(sent[k])))).map((item) => item.id);
    // One row to lock needs no order: the UPDATE that changes it locks it.
    if (toLock.length > 1) await this.items.lock(toLock);

    const targets = new Map<string, Target>();
    const firstWrites: Target[] = [];
    first.forEach((index, k) => {
      const target = { index, id: found[k].id, storeId: stores[k], inserted: found[k].inserted };
      targets.set(keyOf(items[index]), target);
      if (kept[k]) results[index] = resultOf(stores[k], sent[k], kept[k]);
      else firstWrites.push(target);
    });
    await this.writeRound(items, firstWrites, results);
    for (const round of later) {
      await this.writeRound(
        items,
        round.map((index) => ({ ...targets.get(keyOf(items[index]))!, index, inserted: false })),
        results,
      );
    }
    // A repeat points at the last earlier occurrence saved in a round (never at another repeat).
    for (const [repeat, of] of repeats) results[repeat] = { created: false, warranties: results[of].warranties };
    return results;
  }

  /** Changes the round's existing items and replaces the plan sets of all of them (items are distinct within a round). */
  private async writeRound(items: readonly PricedItem[], targets: readonly Target[], results: SubmissionResult[]): Promise<void> {
    if (targets.length === 0) return;
    const existing = targets.filter((target) => !target.inserted);
    if (existing.length > 0) await this.items.update(existing.map((target) => ({ id: target.id, facts: items[target.index].facts })));
    const saved = await this.warranties.replacePlans(
      targets.map(({ index, id, storeId }) => ({ itemId: id, storeId, itemType: items[index].item.item_type, quote: items[index].quote })),
    );
    for (const { index, id, storeId } of targets) results[index] = resultOf(storeId, items[index], saved.get(id) ?? []);
  }

  /** The items' stores by uuid, created on first sight — in uuid order, so two writes creating the same new stores cannot deadlock. */
  private async storeIdsOf(items: readonly PricedItem[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (const uuid of [...new Set(items.map((priced) => priced.item.store_uuid))].sort()) ids.set(uuid, await this.stores.ensure(uuid));
    return ids;
  }
}
