import { ApiProperty } from '@nestjs/swagger';
import { centsToAmount } from '../../common/money.js';
import { ITEM_TYPE_VALUES } from '../../pricing/pricing-fields.js';
import { MONEY, toWarrantyView, WarrantyView } from '../../warranties/dto/warranty.view.js';
import { encodeChangeCursor } from '../change-cursor.js';
import { FEED_CHANGES, type FeedChange, type ChangePage, type ItemChange } from '../item-change.js';

/** An item whose fields or plan set changed, as it is now (snake_case, money as JSON numbers). */
export class ChangeView {
  @ApiProperty({
    enum: FEED_CHANGES,
    enumName: 'FeedChange',
    example: 'created',
    description:
      '`created` when the item’s latest change created it (also when one transaction created it and changed it again), ' +
      '`updated` otherwise. Either way the entry is the item as it is now: apply it as "set the item to this".',
  })
  change: FeedChange;

  @ApiProperty({ format: 'date-time', example: '2026-11-23T10:00:00.000Z', description: 'When its latest change was made (UTC).' })
  changed_at: string;

  @ApiProperty({ example: 'b21ad0676f26439' }) store_uuid: string;
  @ApiProperty({ example: '986kjeo8fy9qhu' }) item_sku: string;
  @ApiProperty({ example: 'furniture', ...ITEM_TYPE_VALUES }) item_type: string;
  @ApiProperty({ example: "Amy's Sectional Sofa" }) item_title: string;

  @ApiProperty({ ...MONEY, example: 150 }) item_cost: number;

  @ApiProperty({ example: '2026-11-01', description: 'The pricing version that priced its plans.' })
  pricing_version: string;

  @ApiProperty({ type: [WarrantyView], description: 'Its plans, ordered by duration.' })
  warranties: WarrantyView[];
}

export class ChangesView {
  @ApiProperty({ type: [ChangeView], description: 'Oldest change first; each item once, in its latest state.' })
  changes: ChangeView[];

  @ApiProperty({
    description:
      'Always present: pass it as `cursor` to get what changed since. On an empty page it stands where the request’s cursor stood.',
    example: 'YzE6NzYyOjQy',
  })
  next_cursor: string;
}

export function toChangeView(change: ItemChange): ChangeView {
  return {
    change: change.change,
    changed_at: change.changedAt.toISOString(),
    store_uuid: change.storeUuid,
    item_sku: change.itemSku,
    item_type: change.itemType,
    item_title: change.itemTitle,
    item_cost: centsToAmount(change.itemCostCents),
    pricing_version: change.pricingVersion,
    warranties: change.warranties.map(toWarrantyView),
  };
}

export function changesView(page: ChangePage): ChangesView {
  return { changes: page.changes.map(toChangeView), next_cursor: encodeChangeCursor(page.next) };
}
