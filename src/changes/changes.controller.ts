import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Caller } from '../access/api-key.js';
import { CurrentCaller } from '../access/caller.decorator.js';
import { STORE_MISMATCH } from '../access/access-api-errors.js';
import { ApiErrors, BAD_QUERY, UNAVAILABLE } from '../http/api-docs.js';
import { DEFAULT_PAGE_SIZE } from '../http/page-query.js';
import { decodeChangeCursor } from './change-cursor.js';
import { ChangesService } from './changes.service.js';
import { ChangesQuery } from './dto/changes.query.js';
import { changesView, ChangesView } from './dto/change.view.js';

@ApiTags('changes')
@Controller('api/changes')
export class ChangesController {
  constructor(private readonly changes: ChangesService) {}

  @Get()
  @ApiOperation({
    operationId: 'listChanges',
    summary: 'Follow every change: items whose fields or plans changed, oldest first (keyset cursor)',
    description:
      'Each changed item once, in its latest state, with its plans; a re-send that changed nothing never appears. ' +
      '`next_cursor` is always present: poll again with it to get what changed since. A reader that always follows it ' +
      'sees every committed change, also when writes commit out of order. A store key sees its own store; an admin key ' +
      'every store, or one with `store_uuid`.',
  })
  @ApiOkResponse({ type: ChangesView })
  @ApiErrors(BAD_QUERY, STORE_MISMATCH, UNAVAILABLE)
  async list(@Query() query: ChangesQuery, @CurrentCaller() caller: Caller): Promise<ChangesView> {
    const page = await this.changes.page(caller, {
      after: query.cursor === undefined ? undefined : decodeChangeCursor(query.cursor),
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      storeUuid: query.store_uuid,
    });
    return changesView(page);
  }
}
