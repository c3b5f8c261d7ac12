/**
 * The outbox's promise, on real PostgreSQL: a submission's archive record is written in the
 * submission's own transaction, so when the record cannot be written nothing of the submission is
 * either. A trigger on archive_record refuses the records of some stores (a fault the service cannot
 * tell from any other failed statement); a single POST, a group commit of POSTs and a batch of those
 * stores must each be answered 500 with no store, item, plan or archive row of theirs written.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { assertError } from '../support/api-assertions.js';
import { send, post, type Reply } from '../../harness/http-client.js';
import { appWithDatabase } from '../support/test-env.js';
import { asOneGroup, item, ONE_GROUP_IN_FLIGHT } from '../support/write-groups.js';

/** Stores whose archive records the trigger refuses. */
const REFUSED = 'unarchivable-';

describe('archive records are written in the submission’s transaction (real HTTP, real PostgreSQL)', () => {
  // The 500s are expected: their error logs would only be noise here.
  const fixture = appWithDatabase({ ...ONE_GROUP_IN_FLIGHT, LOG_LEVEL: 'fatal' });

  before(async () => {
    await fixture.sql.query(`CREATE FUNCTION refuse_archive() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.document->'request'->>'store_uuid' LIKE '${REFUSED}%' THEN RAISE EXCEPTION 'archive record refused'; END IF;
        RETURN NEW;
      END $$`);
    // Left in place: the database is this file's alone.
    await fixture.sql.query(`CREATE TRIGGER refuse_archive BEFORE INSERT ON archive_record FOR EACH ROW EXECUTE FUNCTION refuse_archive()`);
  });

  /** Rows of the store in each table, and archive records of the requests: all must be 0. */
  async function written(store: string, replies: readonly Reply[]): Promise<Record<string, number>> {
    const count = async (query: string, param: unknown) => (await fixture.sql.query<{ n: number }>(query, [param])).rows[0].n;
    return {
      store: await count(`SELECT count(*)::int AS n FROM store WHERE uuid = $1`, store),
      item: await count(`SELECT count(*)::int AS n FROM item i JOIN store s ON s.id = i.store_id WHERE s.uuid = $1`, store),
      warranty: await count(`SELECT count(*)::int AS n FROM warranty w JOIN store s ON s.id = w.store_id WHERE s.uuid = $1`, store),
      archive_record: await count(
        `SELECT count(*)::int AS n FROM archive_record WHERE document->>'request_id' = ANY ($1)`,
        replies.map((reply) => reply.headers.get('x-request-id')),
      ),
    };
  }
  const NOTHING = { store: 0, item: 0, warranty: 0, archive_record: 0 };

  it('a single POST: 500, nothing written', async () => {
    const store = `${REFUSED}post`;
    const reply = await post(fixture.app.url, item(store, 'p-1'));
    assertError(reply, 500, 'INTERNAL_ERROR');
    assert.deepEqual(await written(store, [reply]), NOTHING);
  });

  it('POSTs saved as one group commit: each 500, nothing of any written; the POST in flight before them is saved', async () => {
    const store = `${REFUSED}group`;
    const bodies = Array.from({ length: 4 }, (_, i) => item(store, `g-${i}`));
    const { replies, held, posts } = await asOneGroup(fixture.app.url, fixture.app.config.database.url!, fixture.sql, bodies);
    assert.ok(posts > bodies.length, `the four were tried as a group, then in parts (${posts} POSTs in the groups)`);
    for (const reply of replies) assertError(reply, 500, 'INTERNAL_ERROR');
    assert.deepEqual(await written(store, replies), NOTHING);
    assert.equal(held.status, 201, held.text);
  });

  it('a batch: 500, nothing of it written', async () => {
    const store = `${REFUSED}batch`;
    const reply = await send(fixture.app.url, '/api/warranties/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        store_uuid: store,
        items: [item(store, 'b-1'), item(store, 'b-2')].map((body) => ({ ...body, store_uuid: undefined })),
      }),
    });
    assertError(reply, 500, 'INTERNAL_ERROR');
    assert.deepEqual(await written(store, [reply]), NOTHING);
  });
});
