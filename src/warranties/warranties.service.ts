import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { centsFromAmount } from '../common/money.js';
import type { Caller } from '../access/api-key.js';
import type { TraceOrigin } from '../tracing/tracing.js';
import { appConfig, type AppConfig } from '../config/app-config.js';
import { GroupCommit } from '../database/group-commit.js';
import { PricingService } from '../pricing/pricing.service.js';
import { batchResponse, submissionResponse } from './dto/warranty.view.js';
import { BATCH_SUBMITTED, BatchSubmittedEvent } from './events/batch-submitted.event.js';
import { ITEMS_SUBMITTED, ItemsSubmittedEvent } from './events/items-submitted.event.js';
import { SubmissionMetrics } from './submission-metrics.js';
import { SubmissionWriter, type PricedItem } from './submission-writer.js';
import type { SubmissionResult, SubmittedItem, Warranty, WarrantyFilter } from './warranty.js';
import { ItemNotEligibleError, StoreMismatchError, WarrantyNotFoundError } from './warranty.errors.js';
import { WarrantyRepository } from './warranty.repository.js';

/** An entry of a batch as the controller hands it over: a valid item, or why it was refused (400). */
export type BatchEntry = { item: Omit<SubmittedItem, 'store_uuid'> } | { refused: unknown };

/** What became of a batch entry: saved (its result), or refused (by validation or pricing) and why. */
export type BatchOutcome = { result: SubmissionResult } | { refused: unknown };

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
    private readonly writer: SubmissionWriter,
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
    return this.writer.write(
      submissions.map((submission) => submission.priced),
      async (results) => {
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
      },
    );
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
    return this.writer.write(
      accepted.map((entry) => entry.priced),
      async (results) => {
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
      },
    );
  }

  /** The item's plans from the pricing table; an item that gets none is refused (nothing is written). */
  private price(item: SubmittedItem): PricedItem {
    const costCents = centsFromAmount(item.item_cost);
    const quote = this.pricing.quote(item.store_uuid, item.item_type, costCents);
    if (quote.plans.length === 0) {
      throw new ItemNotEligibleError(
        this.pricing.refusal(item.store_uuid, item.item_type, costCents) ?? { message: 'No protection plan is offered', details: [] },
      );
    }
    return { item, quote, facts: { sku: item.item_sku, type: item.item_type, title: item.item_title, costCents } };
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
