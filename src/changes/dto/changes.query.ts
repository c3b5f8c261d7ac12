import { OptionalText } from '../../common/text-field.js';
import { PageCursor, PageLimit } from '../../http/page-query.js';
import { STORE_UUID } from '../../stores/store-fields.js';
import { decodeChangeCursor } from '../change-cursor.js';

/** GET /api/changes query: where to continue, how many, and (admin keys) which store. */
export class ChangesQuery {
  @PageCursor('The `next_cursor` of the previous answer, unchanged. Absent: from the beginning.', decodeChangeCursor)
  cursor?: string;

  @PageLimit('Changes per page.')
  limit?: number;

  @OptionalText(
    STORE_UUID,
    'Only this store’s changes (admin keys; a store key always gets its own store’s, and may name only its own). ' +
      'An unknown store gives an empty page.',
  )
  store_uuid?: string;
}
