import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { centsFromAmount } from '../common/money.js';
import type { Caller } from '../access/api-key.js';
import { Sql } from '../database/sql.js';
import { ItemRepository, type ItemFacts } from '../items/item.repository.js';
import { PricingService, type Quote } from '../pricing/pricing.service.js';
import { StoresService } from '../stores/stores.service.js';
import { submissionResponse } from './dto/warranty.view.js';
import { ITEM_SUBMITTED, ItemSubmittedEvent } from './events/item-submitted.event.js';
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

/** Where a submission came from, for whoever listens to it (the archive keeps it). */
export interface SubmissionContext {
  requestId: string;
  receivedAt: Date;
  /** The body exactly as the store sent it. */
  payload: unknown;
  /** Whose key sent it: a store key may only submit for its own store. */
  caller: Caller;
}

/** A store key may only act for its own store (SPEC, Access); an admin key for any. */
function assertMayActFor(caller: Caller, storeUuid: string): void {
  if (caller.kind === 'store' && caller.storeUuid !== storeUuid) throw new StoreMismatchError(caller.storeUuid, 'store_uuid', storeUuid);
}

@Injectable()
export class WarrantiesService {
  constructor(
    private readonly sql: Sql,
    private readonly stores: StoresService,
    private readonly items: ItemRepository,
    private readonly warranties: WarrantyRepository,
    private readonly pricing: PricingService,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * Prices the item and, in one transaction, saves store, item and plan set and publishes the
   * submission (the archive records it in the same transaction). Pricing runs first, so an
   * ineligible item is refused before anything is written.
   */
  async submit(item: SubmittedItem, context: SubmissionContext): Promise<SubmissionResult> {
    assertMayActFor(context.caller, item.store_uuid);
    const costCents = centsFromAmount(item.item_cost);
    const quote = this.pricing.quote(item.item_type, costCents);
    if (quote.plans.length === 0) {
      throw new ItemNotEligibleError(
        this.pricing.refusal(item.item_type, costCents) ?? { message: 'No protection plan is offered', details: [] },
      );
    }
    return this.sql.transaction(async () => {
      const storeId = await this.stores.ensure(item.store_uuid);
      const facts: ItemFacts = { sku: item.item_sku, type: item.item_type, title: item.item_title, costCents };
      const found = await this.items.insertOrFind(storeId, facts);
      // An item stored exactly as sent, with exactly the quoted plans, is answered from what is stored:
      // no row lock and no rewrite, so identical re-sends (even hundreds at once) never queue.
      let plans = !found.inserted && sameItem(found.stored, facts) ? await this.warranties.plansOf(found.id) : undefined;
      if (!plans || !samePlans(plans, quote)) {
        if (!found.inserted) await this.items.update(found.id, facts);
        plans = await this.warranties.replacePlans(found.id, storeId, item.item_type, quote);
      }
      const result: SubmissionResult = {
        created: plans.some((plan) => plan.inserted),
        warranties: plans.map((plan): Warranty => ({
          id: plan.id,
          storeId,
          storeUuid: item.store_uuid,
          itemSku: item.item_sku,
          itemType: item.item_type,
          itemTitle: item.item_title,
          itemCostCents: costCents,
          priceCents: plan.priceCents,
          durationMonths: plan.durationMonths,
          pricingVersion: plan.pricingVersion,
          createdAt: plan.createdAt,
          updatedAt: plan.updatedAt,
        })),
      };
      await this.events.emitAsync(
        ITEM_SUBMITTED,
        new ItemSubmittedEvent(
          context.requestId,
          context.receivedAt,
          context.payload,
          item,
          result,
          submissionResponse(result),
          context.caller.keyPrefix,
        ),
      );
      return result;
    });
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
