import { ApiProperty } from '@nestjs/swagger';
import { ItemTypeRuleView, itemTypesView } from './pricing-table.view.js';
import type { VersionWithState } from './pricing-versions.service.js';

const STATES = ['scheduled', 'in_force', 'superseded'];

/** A published version as the admin API shows it. */
export class PricingVersionView {
  @ApiProperty({ example: '2027-01-01', description: 'Unique name; recorded as `pricing_version` on every plan it prices.' })
  version: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2027-01-01T00:00:00.000Z', description: 'When it takes (took) effect.' })
  effective_from: string;

  @ApiProperty({
    type: [String],
    example: [],
    description: 'Empty: a default version, for every store without a version of its own. Otherwise exactly these stores’ whole table.',
  })
  store_uuids: string[];

  @ApiProperty({
    enum: STATES,
    example: 'scheduled',
    description:
      '`scheduled`: its time has not come (it can be withdrawn); `in_force`: it is the table of at least one store now; ' +
      '`superseded`: its time came, and later versions replaced it for every store it was for.',
  })
  state: string;

  @ApiProperty({ type: [ItemTypeRuleView], description: 'Its item types, ordered by name.' })
  item_types: ItemTypeRuleView[];
}

export class PricingVersionListView {
  @ApiProperty({ type: [PricingVersionView], description: 'Every version, by effective_from (then publication order).' })
  versions: PricingVersionView[];
}

export function pricingVersionView({ version, state }: VersionWithState): PricingVersionView {
  return {
    version: version.table.version,
    effective_from: new Date(version.effectiveFrom).toISOString(),
    store_uuids: [...version.storeUuids],
    state,
    item_types: itemTypesView(version.table),
  };
}
