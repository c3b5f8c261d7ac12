import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../access/admin-only.guard.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-docs.js';
import { parseInstant } from '../common/instant.js';
import { centsFromAmount } from '../common/money.js';
import { PublishVersionDto } from './dto/publish-version.dto.js';
import { basisPointsFromRate } from './pricing-table.js';
import { pricingVersionView, PricingVersionListView, PricingVersionView } from './pricing-version.view.js';
import { PricingVersionsService } from './pricing-versions.service.js';
import type { VersionDraft } from './version-rules.js';

const VERSION_NAME = /^[A-Za-z0-9._-]{1,32}$/;

const PUBLISH_EXAMPLE = {
  version: '2027-01-01',
  effective_from: '2027-01-01T00:00:00Z',
  item_types: [
    {
      item_type: 'furniture',
      min_cost: 50,
      max_cost: 10000,
      plans: [
        { duration_months: 12, base: 5, rate: 0.11 },
        { duration_months: 24, base: 6, rate: 0.15 },
      ],
    },
  ],
};
const STORE_EXAMPLE = { ...PUBLISH_EXAMPLE, version: '2027-01-01-b21ad', store_uuids: ['b21ad0676f26439'] };

/** The body in the service's units: cents, basis points, epoch milliseconds (absent effective_from: now). */
function draftOf(dto: PublishVersionDto): VersionDraft {
  return {
    version: dto.version,
    effectiveFrom: dto.effective_from === undefined ? Date.now() : parseInstant(dto.effective_from)!,
    storeUuids: dto.store_uuids ?? [],
    itemTypes: dto.item_types.map((rule) => ({
      itemType: rule.item_type,
      minCostCents: centsFromAmount(rule.min_cost),
      maxCostCents: centsFromAmount(rule.max_cost),
      plans: rule.plans.map((plan) => ({
        durationMonths: plan.duration_months,
        baseCents: centsFromAmount(plan.base),
        rateBasisPoints: basisPointsFromRate(plan.rate),
      })),
    })),
  };
}

@ApiTags('pricing')
@Controller('api/pricing/versions')
@AdminOnly()
export class PricingVersionsController {
  constructor(private readonly versions: PricingVersionsService) {}

  @Post()
  @ApiOperation({
    operationId: 'publishPricingVersion',
    summary: 'Publish a pricing version, now or scheduled (admin)',
    description:
      'A default version (no `store_uuids`) prices every store without a version of its own; a store version is the whole ' +
      'table of the stores it names. It takes effect at `effective_from` (default: now) on every instance, within a second, ' +
      'without a restart. A published version never changes; a scheduled one can be withdrawn until its time.',
  })
  @ApiBody({
    type: PublishVersionDto,
    examples: {
      scheduled: { summary: 'A default version from 2027-01-01', value: PUBLISH_EXAMPLE },
      store: { summary: 'One store’s own table', value: STORE_EXAMPLE },
    },
  })
  @ApiCreatedResponse({ type: PricingVersionView, description: 'Published; every instance follows it from `effective_from`.' })
  @ApiErrors('400-version-body', 'admin-only', '409-version-exists', 413, 415, '422-pricing')
  async publish(@Body() dto: PublishVersionDto): Promise<PricingVersionView> {
    return pricingVersionView(await this.versions.publish(draftOf(dto)));
  }

  @Get()
  @ApiOperation({
    operationId: 'listPricingVersions',
    summary: 'Every pricing version with its state (admin)',
    description: '`scheduled`, `in_force` (the table of at least one store now) or `superseded`; by effective_from.',
  })
  @ApiOkResponse({ type: PricingVersionListView })
  @ApiErrors('admin-only')
  async list(): Promise<PricingVersionListView> {
    return { versions: (await this.versions.list()).map(pricingVersionView) };
  }

  @Delete(':version')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'withdrawPricingVersion',
    summary: 'Withdraw a scheduled pricing version (admin)',
    description:
      'Only before its time (at least a second ahead, so every instance hears of it before it would switch). ' +
      'Its name can then be published again.',
  })
  @ApiParam({ name: 'version', type: String, description: 'The version’s name. Example: `2027-01-01`.' })
  @ApiNoContentResponse({ description: 'Withdrawn: no instance will switch to it.' })
  @ApiErrors('400-version-path', 'admin-only', '404-version', '409-version-in-force')
  async withdraw(@Param('version') version: string): Promise<void> {
    if (!VERSION_NAME.test(version))
      throw ApiError.validation([{ field: 'version', message: 'may only contain A-Z, a-z, 0-9, ., _ and -' }]);
    await this.versions.withdraw(version);
  }
}
