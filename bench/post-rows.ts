import { CeilingBrackets } from './ceiling-rows.js';
import { loadRun, pacedRun, runRow, type VariantRun } from './row.js';
import { DEFAULT_POST_MIX } from './workload.js';

/** Concurrent identical first POSTs of one new item (issue 11: one 201, the rest 200, no 503). */
const IDENTICAL_POSTS = 500;

/**
 * The closed-loop POST rows: the POST mix at each connection count (autocannon), each bracketed by
 * ceiling rows, then 500 identical first POSTs at once. Without `post`, only the first ceiling.
 */
export async function postRows(run: VariantRun, ceilings: CeilingBrackets): Promise<void> {
  const { options, url } = run;
  const duration = options.durationSeconds;
  const postMix = DEFAULT_POST_MIX;
  await ceilings.open();
  if (!options.only.has('post')) return;
  for (const connections of options.postConnections) {
    const label = `POST @${connections}`;
    const entry = await runRow(run, 'POST mix', connections, loadRun(url, connections, duration, { kind: 'post', mix: postMix }, label));
    await ceilings.close(entry);
  }
  // Issue 11: 500 identical first POSTs of one new item at once → one 201, the rest 200, no 503.
  const identicalItem = {
    storeIndex: Math.floor(Math.random() * postMix.stores),
    skuIndex: postMix.skus + Math.floor(Math.random() * 1e6),
  };
  await runRow(
    run,
    `POST ${IDENTICAL_POSTS} identical first POSTs`,
    IDENTICAL_POSTS,
    pacedRun(url, { concurrency: IDENTICAL_POSTS }, duration, { kind: 'post-identical', ...identicalItem }, 'identical POSTs', {
      maxRequests: IDENTICAL_POSTS,
    }),
  );
}
