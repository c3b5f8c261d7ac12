import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { centsFromAmount } from '../common/money.js';
import type { Caller } from '../access/api-key.js';
import type { TraceOrigin } from '../tracing/tracing.js';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { GroupCommit } from '../database/group-commit.js';
import { Sql } from '../database/sql.js';
import { ItemRepository, type ItemFacts } from '../items/item.repository.js';
import { PricingService, type Quote } from '../pricing/pricing.service.js';
import { StoresService } from '../stores/stores.service.js';
import { batchResponse, submissionResponse } from './dto/warranty.view.js';
import { BATCH_SUBMITTED, BatchSubmittedEvent } from './events/batch-submitted.event.js';
import { ITEMS_SUBMITTED, ItemsSubmittedEvent } from './events/items-submitted.event.js';
import { SubmissionMetrics } from './submission-metrics.js';
import type { SubmissionResult, SubmittedItem, Warranty, WarrantyFilter } from './warranty.js';
import { ItemNotEligibleError, StoreMismatchError, WarrantyNotFoundError } from './warranty.errors.js';
import { WarrantyRepository, type SavedPlan } from './warranty.repository.js';

const sameItem = (a: ItemFacts, b: ItemFacts) => a.type === b.type && a.title === b.title && a.costCents === b.costCents;

/** The stored plans are exactly the quoted ones (same durations, prices and pricing version). */
const samePlans = (stored: SavedPlan[], quote: Quote) =>
  stored.length === quote.plans.length &&
  quote.plans.every((plan, i) => {
    const saved = stored[i];
    return (
      saved.durationMonths === plan.durationMonths && saved.priceCents === plan.priceCents && saved.pricingVersion === quote.pricingVersion
    );
  });

/** An item, priced: what to store and the plans it gets. */
interface PricedItem {
  item: SubmittedItem;
  facts: ItemFacts;
  quote: Quote;
}

/** An entry of a batch as the controller hands it over: a valid item, or why it was refused (400). */
export type BatchEntry = { item: Omit<SubmittedItem, 'store_uuid'> } | { refused: unknown };

/** What became of a batch entry: saved (its result), or refused (by validation or pricing) and why. */
export type BatchOutcome = { result: SubmissionResult } | { refused: unknown };

/**
 * How to save `items` with the outcome of saving them one after another: rounds of positions whose
 * items are distinct (first occurrences in the first round, second ones in the second…, so an item
 * sent twice is saved twice, in order, and the later one wins), and repeats — an item sent exactly
 * as its previous occurrence, which gets that occurrence's plans unchanged (200) without a round of
 * its own, so hundreds of identical POSTs in one group cost one round.
 */
function roundsAndRepeats(items: readonly PricedItem[]): { rounds: number[][]; repeats: [repeat: number, of: number][] } {
  const rounds: number[][] = [];
  const repeats: [number, number][] = [];
  const last = new Map<string, { index: number; round: number }>();
  items.forEach((priced, i) => {
    const key = `${priced.item.store_uuid}\u0000${priced.facts.sku}`;
    const previous = last.get(key);
    // Same facts, same quote: a quote is a pure function of type and cost under the process's one pricing table.
    if (previous && sameItem(items[previous.index].facts, priced.facts)) {
      repeats.push([i, previous.index]);
      return;
    }
    const round = previous ? previous.round + 1 : 0;
    last.set(key, { index: i, round });
    (rounds[round] ??= []).push(i);
  });
  return { rounds, repeats };
}

function resultOf(storeId: number, storeUuid: string, priced: PricedItem, plans: readonly SavedPlan[]): SubmissionResult {
  const { item, facts } = priced;
  return {
    created: plans.some((plan) => plan.inserted),
    warranties: plans.map((plan): Warranty => ({
      id: plan.id,
      storeId,
      storeUuid,
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

/** Where a submission came from, for whoever listens to it (the archive keeps it). */
export interface SubmissionContext {
  requestId: string;
  receivedAt: Date;
  /** The body exactly as the store sent it. */
  payload: unknown;
  /** Whose key sent it: a store key may only submit for its own store. */
  caller: Caller;
  /** With tracing on, the request's span. */
  traceOrigin?: TraceOrigin;
}

/** A store key may only act for its own store (SPEC, Access); an admin key for any. */
function assertMayActFor(caller: Caller, storeUuid: string): void {
  if (caller.kind === 'store' && caller.storeUuid !== storeUuid) throw new StoreMismatchError(caller.storeUuid, 'store_uuid', storeUuid);
}

/** A single POST waiting for its group commit. */
interface PendingSubmission {
  priced: PricedItem;
  context: SubmissionContext;
}

@Injectable()
export class WarrantiesService {
  private readonly groups: GroupCommit<PendingSubmission, SubmissionResult>;

  constructor(
    private readonly sql: Sql,
    private readonly stores: StoresService,
    private readonly items: ItemRepository,
    private readonly warranties: WarrantyRepository,
    private readonly pricing: PricingService,
    private readonly events: EventEmitter2,
    metrics: SubmissionMetrics,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.groups = new GroupCommit({
      save: (submissions) => this.saveGroup(submissions),
      concurrency: config.database.writeGroups,
      maxSize: config.database.writeGroupMax,
      maxWaitMs: config.database.acquireTimeoutMs,
      onGroup: (size) => metrics.groupSaved(size),
    });
    metrics.watch(() => this.groups.queued);
  }

  /**
   * Prices the item and saves store, item and plan set, publishing the submission (the archive
   * records it in the same transaction). Pricing runs first, so an ineligible item is refused before
   * anything is written. The save is a group commit: alone and at once when no write is in flight,
   * else together with the other POSTs that queued meanwhile (GroupCommit), each with its own answer.
   */
  async submit(item: SubmittedItem, context: SubmissionContext): Promise<SubmissionResult> {
    assertMayActFor(context.caller, item.store_uuid);
    return this.groups.add({ priced: this.price(item), context });
  }

  /** One transaction for a group of single POSTs: their items and plans, then one event listing them all. */
  private saveGroup(submissions: readonly PendingSubmission[]): Promise<SubmissionResult[]> {
    return this.sql.transaction(async () => {
      const results = await this.save(submissions.map((submission) => submission.priced));
      await this.events.emitAsync(
        ITEMS_SUBMITTED,
        new ItemsSubmittedEvent(
          submissions.map(({ priced, context }, i) => ({
            requestId: context.requestId,
            receivedAt: context.receivedAt,
            payload: context.payload,
            item: priced.item,
            result: results[i],
            response: submissionResponse(results[i]),
            keyPrefix: context.caller.keyPrefix,
            traceOrigin: context.traceOrigin,
          })),
        ),
      );
      return results;
    });
  }

  /**
   * A catalogue sync: each item of one store priced and saved on its own terms (the same rules and
   * upsert semantics as a single submission; an item refused by validation or pricing does not stop
   * the others), all in one transaction with set-based statements, and one archive record for the
   * request. The same SKU twice: the later one wins, both get results. One outcome per entry, in order.
   */
  async submitBatch(storeUuid: string, entries: readonly BatchEntry[], context: SubmissionContext): Promise<BatchOutcome[]> {
    assertMayActFor(context.caller, storeUuid);
    const outcomes: BatchOutcome[] = new Array(entries.length);
    const accepted: { index: number; priced: PricedItem }[] = [];
    entries.forEach((entry, index) => {
      if ('refused' in entry) {
        outcomes[index] = { refused: entry.refused };
        return;
      }
      try {
        accepted.push({ index, priced: this.price({ ...entry.item, store_uuid: storeUuid }) });
      } catch (error) {
        if (!(error instanceof ItemNotEligibleError)) throw error;
        outcomes[index] = { refused: error };
      }
    });
    return this.sql.transaction(async () => {
      const results = accepted.length > 0 ? await this.save(accepted.map((entry) => entry.priced)) : [];
      accepted.forEach((entry, k) => (outcomes[entry.index] = { result: results[k] }));
      await this.events.emitAsync(
        BATCH_SUBMITTED,
        new BatchSubmittedEvent(
          context.requestId,
          context.receivedAt,
          context.payload,
          storeUuid,
          batchResponse(outcomes),
          context.caller.keyPrefix,
          context.traceOrigin,
        ),
      );
      return outcomes;
    });
  }

  /** The item's plans from the pricing table; an item that gets none is refused (nothing is written). */
  private price(item: SubmittedItem): PricedItem {
    const costCents = centsFromAmount(item.item_cost);
    const quote = this.pricing.quote(item.item_type, costCents);
    if (quote.plans.length === 0) {
      throw new ItemNotEligibleError(
        this.pricing.refusal(item.item_type, costCents) ?? { message: 'No protection plan is offered', details: [] },
      );
    }
    return { item, quote, facts: { sku: item.item_sku, type: item.item_type, title: item.item_title, costCents } };
  }

  /**
   * Saves priced items (of one store or of several) inside the caller's transaction, with a few
   * statements for all of them (not per item), with the outcome of saving them one after another.
   * Items stored exactly as sent, with exactly the quoted plans, are answered from what is stored: no
   * row lock and no rewrite, so identical re-sends (even hundreds at once) never queue. One result per item.
   */
  private async save(items: readonly PricedItem[]): Promise<SubmissionResult[]> {
    const storeIds = await this.storeIdsOf(items);
    const results: SubmissionResult[] = new Array(items.length);
    const { rounds, repeats } = roundsAndRepeats(items);
    for (const round of rounds) {
      const sent = round.map((i) => items[i]);
      const stores = sent.map((priced) => storeIds.get(priced.item.store_uuid)!);
      const found = await this.items.insertOrFind(sent.map((priced, k) => ({ storeId: stores[k], facts: priced.facts })));
      const unchanged = sent.map((priced, k) => !found[k].inserted && sameItem(found[k].stored, priced.facts));
      const stored = unchanged.some(Boolean)
        ? await this.warranties.plansOf(found.filter((_, k) => unchanged[k]).map((item) => item.id))
        : new Map();
      const plans: SavedPlan[][] = new Array(sent.length);
      const toWrite: number[] = [];
      sent.forEach((priced, k) => {
        const kept = unchanged[k] ? stored.get(found[k].id) : undefined;
        if (kept && samePlans(kept, priced.quote)) plans[k] = kept;
        else toWrite.push(k);
      });
      const changed = toWrite.filter((k) => !found[k].inserted);
      if (changed.length > 0) await this.items.update(changed.map((k) => ({ id: found[k].id, facts: sent[k].facts })));
      if (toWrite.length > 0) {
        const saved = await this.warranties.replacePlans(
          toWrite.map((k) => ({ itemId: found[k].id, storeId: stores[k], itemType: sent[k].item.item_type, quote: sent[k].quote })),
        );
        for (const k of toWrite) plans[k] = saved.get(found[k].id) ?? [];
      }
      round.forEach((i, k) => (results[i] = resultOf(stores[k], sent[k].item.store_uuid, sent[k], plans[k])));
    }
    // A repeat points at the last earlier occurrence saved in a round (never at another repeat).
    for (const [repeat, of] of repeats) results[repeat] = { created: false, warranties: results[of].warranties };
    return results;
  }

  /** The items' stores by uuid, created on first sight — in uuid order, so two groups creating the same new stores cannot deadlock. */
  private async storeIdsOf(items: readonly PricedItem[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (const uuid of [...new Set(items.map((priced) => priced.item.store_uuid))].sort()) ids.set(uuid, await this.stores.ensure(uuid));
    return ids;
  }

  /**
   * A keyset page ordered by id; `limit` rows at most. Also says whether more rows follow. A store key
   * sees its own store only: its filter is its store, and naming another is refused.
   */
  async list(filter: WarrantyFilter, caller: Caller): Promise<{ warranties: Warranty[]; hasMore: boolean }> {
    let storeUuid = filter.storeUuid;
    if (caller.kind === 'store') {
      if (storeUuid !== undefined) assertMayActFor(caller, storeUuid);
      storeUuid = caller.storeUuid;
    }
    const rows = await this.warranties.page({ ...filter, storeUuid, limit: filter.limit + 1 });
    return { warranties: rows.slice(0, filter.limit), hasMore: rows.length > filter.limit };
  }

  /** One plan; another store's plan is "not found" to a store key (its existence is not revealed). */
  async findOne(id: number, caller: Caller): Promise<Warranty> {
    const warranty = await this.warranties.findById(id);
    if (!warranty || (caller.kind === 'store' && warranty.storeUuid !== caller.storeUuid)) throw new WarrantyNotFoundError(id);
    return warranty;
  }
}
