import { defaultKey } from '../harness/http-client.js';
import { BATCH_PATH } from './requests.js';
import { HTTP_TIMEOUT_SECONDS, pacedRun, runRow, SERVICE_APPLICATION_NAME, type VariantRun } from './row.js';
import { say } from './session.js';
import { BatchWorkload, DEFAULT_POST_MIX } from './workload.js';

/** A 500-item batch is one request doing 500 items' work: more time before it counts as timed out. */
const BATCH_TIMEOUT_SECONDS = 30;

/** One 1-item batch: a 404 means the batch endpoint is not there (yet), and its rows are skipped, not failed. */
async function probeBatch(url: string): Promise<number> {
  const response = await fetch(`${url}${BATCH_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${defaultKey(url)}` },
    body: JSON.stringify(new BatchWorkload(DEFAULT_POST_MIX).next(1)),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_SECONDS * 1000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** POST /api/warranties/batch of each size, closed loop at --batch-connections (paced-load.ts counts the items' statuses). */
export async function batchRows(run: VariantRun): Promise<void> {
  const { options, url } = run;
  const probe = await probeBatch(url);
  say(`  ${BATCH_PATH}: a 1-item probe answered ${probe}`);
  for (const size of options.batchSizes) {
    const scenario = `POST batch of ${size}`;
    if (probe === 404) {
      run.rows.push({
        variant: run.plan.variant.name,
        scenario,
        connections: options.batchConnections,
        batchSize: size,
        unavailable: '404',
      });
      say(`  ${scenario}: not available (404), skipped`);
      continue;
    }
    await runRow(
      run,
      scenario,
      options.batchConnections,
      pacedRun(
        url,
        { concurrency: options.batchConnections },
        options.durationSeconds,
        { kind: 'post-batch', mix: DEFAULT_POST_MIX, size },
        scenario,
        { timeoutSeconds: BATCH_TIMEOUT_SECONDS },
      ),
      SERVICE_APPLICATION_NAME,
      { batchSize: size },
    );
  }
}
