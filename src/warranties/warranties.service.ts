import { HttpStatus, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { ArchiveOutbox } from '../archive/archive-outbox.js';
import { ApiError } from '../common/api-error.js';
import { Database, type DbTransaction } from '../database/database.js';
import { ItemsService } from '../items/items.service.js';
import { centsFromAmount, centsToDecimal } from '../pricing/money.js';
import { PricingService, type Quote } from '../pricing/pricing.service.js';
import { StoresService } from '../stores/stores.service.js';
import type { CreateWarrantyDto } from './dto/create-warranty.dto.js';
import { DEFAULT_PAGE_SIZE, type ListWarrantiesQuery } from './dto/list-warranties.query.js';
import type { WarrantiesView, WarrantyPageView, WarrantyView } from './dto/warranty.view.js';
import { WARRANTY_CREATED, WarrantyCreatedEvent } from './events/warranty-created.event.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import { toWarrantyView, type WarrantyRow } from './warranty-row.js';

export interface Submission {
  requestId: string;
  receivedAt: Date;
  /** The body exactly as the store sent it, for the archive. */
  rawBody: unknown;
}

export interface SubmissionResult {
  status: HttpStatus.CREATED | HttpStatus.OK;
  body: WarrantiesView;
}

type SavedPlanRow = Pick<
  WarrantyRow,
  'id' | 'warranty_duration_months' | 'warranty_price' | 'pricing_version' | 'created_at' | 'updated_at'
> & {
  inserted: boolean;
};

const SELECT_WARRANTY = `
  SELECT w.id, w.store_id, s.uuid AS store_uuid, i.sku AS item_sku, w.item_type, i.title AS item_title,
         i.cost AS item_cost, w.price AS warranty_price, w.duration_months AS warranty_duration_months,
         w.pricing_version, w.created_at, w.updated_at
  FROM warranty w JOIN item i ON i.id = w.item_id JOIN store s ON s.id = w.store_id`;

@Injectable()
export class WarrantiesService {
  constructor(
    private readonly db: Database,
    private readonly stores: StoresService,
    private readonly items: ItemsService,
    private readonly pricing: PricingService,
    private readonly outbox: ArchiveOutbox,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * Prices the item and, in one transaction, saves store, item, plan set and archive record.
   * Pricing runs first, so an ineligible item is refused before anything is written.
   */
  async submit(dto: CreateWarrantyDto, submission: Submission): Promise<SubmissionResult> {
    const costCents = centsFromAmount(dto.item_cost);
    const quote = this.pricing.quote(dto.item_type, costCents);
    if (quote.plans.length === 0) {
      throw new ApiError(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'ITEM_NOT_ELIGIBLE',
        `No protection plan is offered for item_type "${dto.item_type}" at item_cost ${dto.item_cost}`,
        [
          { field: 'item_type', message: 'no plan for this type at this cost' },
          { field: 'item_cost', message: 'no plan for this type at this cost' },
        ],
      );
    }
    const { result, record } = await this.db.transaction(async (tx) => {
      const storeId = await this.stores.ensure(tx, dto.store_uuid);
      const item = await this.items.upsert(tx, storeId, { sku: dto.item_sku, type: dto.item_type, title: dto.item_title, costCents });
      const plans = await this.replacePlans(tx, item.id, storeId, dto.item_type, quote);
      const status = plans.some((plan) => plan.inserted) ? HttpStatus.CREATED : HttpStatus.OK;
      const body: WarrantiesView = {
        warranties: plans.map((plan) =>
          toWarrantyView({
            ...plan,
            store_id: storeId,
            store_uuid: dto.store_uuid,
            item_sku: dto.item_sku,
            item_type: dto.item_type,
            item_title: dto.item_title,
            item_cost: centsToDecimal(costCents),
          }),
        ),
      };
      const record = await this.outbox.add(tx, {
        requestId: submission.requestId,
        receivedAt: submission.receivedAt,
        storeUuid: dto.store_uuid,
        request: submission.rawBody,
        response: { status, body },
      });
      return { result: { status, body } as SubmissionResult, record };
    });
    this.events.emit(WARRANTY_CREATED, new WarrantyCreatedEvent(record));
    return result;
  }

  /** Makes the item's plans exactly the quoted ones: drops durations no longer offered, upserts the rest (ids kept). */
  private async replacePlans(tx: DbTransaction, itemId: number, storeId: number, itemType: string, quote: Quote): Promise<SavedPlanRow[]> {
    const durations = `{${quote.plans.map((plan) => plan.durationMonths).join(',')}}`;
    const values: unknown[] = [itemId, durations];
    const tuples = quote.plans.map((plan) => {
      values.push(itemId, storeId, itemType, plan.durationMonths, centsToDecimal(plan.priceCents), quote.pricingVersion);
      return '(?::bigint, ?::bigint, ?, ?::smallint, ?::numeric, ?)';
    });
    const rows = await this.db.query<SavedPlanRow>(
      // One statement, one round trip: the delete and the upsert touch disjoint rows (durations not
      // offered vs offered), and the item row lock taken by the item upsert already serialises them.
      `WITH stale AS (DELETE FROM warranty WHERE item_id = ? AND NOT (duration_months = ANY (?::smallint[])))
       INSERT INTO warranty AS w (item_id, store_id, item_type, duration_months, price, pricing_version)
       VALUES ${tuples.join(', ')}
       ON CONFLICT (item_id, duration_months) DO UPDATE SET
         store_id = EXCLUDED.store_id, item_type = EXCLUDED.item_type, price = EXCLUDED.price,
         pricing_version = EXCLUDED.pricing_version,
         updated_at = CASE WHEN (w.item_type, w.price, w.pricing_version) IS DISTINCT FROM
                                (EXCLUDED.item_type, EXCLUDED.price, EXCLUDED.pricing_version)
                           THEN now() ELSE w.updated_at END
       RETURNING w.id, w.duration_months AS warranty_duration_months, w.price AS warranty_price, w.pricing_version,
                 w.created_at, w.updated_at, (w.xmax = 0) AS inserted`,
      values,
      tx,
    );
    return rows.sort((a, b) => a.warranty_duration_months - b.warranty_duration_months);
  }

  /** Keyset page ordered by id: the cost of a page does not depend on how deep it is. */
  async list(query: ListWarrantiesQuery): Promise<WarrantyPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.cursor !== undefined) {
      const afterId = decodeCursor(query.cursor);
      if (afterId === undefined) throw ApiError.validation([{ field: 'cursor', message: 'is not a cursor this API issued' }]);
      conditions.push('w.id > ?');
      params.push(afterId);
    }
    if (query.store_uuid !== undefined) {
      conditions.push('w.store_id = (SELECT id FROM store WHERE uuid = ?)');
      params.push(query.store_uuid);
    }
    if (query.item_type !== undefined) {
      conditions.push('w.item_type = ?');
      params.push(query.item_type);
    }
    if (query.sku !== undefined) {
      conditions.push('w.item_id IN (SELECT id FROM item WHERE sku = ?)');
      params.push(query.sku);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = await this.db.query<WarrantyRow>(`${SELECT_WARRANTY} ${where} ORDER BY w.id LIMIT ?`, [...params, limit + 1]);
    const page = rows.slice(0, limit).map(toWarrantyView);
    const hasMore = rows.length > limit;
    return { warranties: page, next_cursor: hasMore ? encodeCursor(page[page.length - 1].id) : null };
  }

  async findOne(id: number): Promise<WarrantyView> {
    const rows = await this.db.query<WarrantyRow>(`${SELECT_WARRANTY} WHERE w.id = ?`, [id]);
    if (rows.length === 0) throw ApiError.notFound(`Warranty ${id} not found`);
    return toWarrantyView(rows[0]);
  }
}
