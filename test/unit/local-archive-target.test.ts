/** The local archive folder: records appear whole, and a crash mid-write leaves nothing behind for good (issue 8 item 9). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalArchiveTarget, PARTIAL_FOLDER } from '../../src/archive/local-archive-target.js';

const folders: string[] = [];
const scratch = () => {
  const folder = mkdtempSync(join(tmpdir(), 'warranty-archive-'));
  folders.push(folder);
  return folder;
};
const partialsIn = (root: string): string[] =>
  readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.partial'));

after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('LocalArchiveTarget', () => {
  it('writes each record whole at its key, leaving no partial file', async () => {
    const root = scratch();
    const target = new LocalArchiveTarget(root);
    await target.put('warranties/2026/11/25/store/a.json', '{"a":1}');
    await target.put('warranties/2026/11/25/store/a.json', '{"a":2}');
    assert.equal(readFileSync(join(root, 'warranties/2026/11/25/store/a.json'), 'utf8'), '{"a":2}');
    assert.deepEqual(partialsIn(root), []);
  });

  it('a write that fails removes its partial file', async () => {
    const root = scratch();
    const target = new LocalArchiveTarget(root);
    mkdirSync(join(root, 'warranties/x/taken.json'), { recursive: true }); // the rename onto a folder fails
    await assert.rejects(target.put('warranties/x/taken.json', '{}'));
    assert.deepEqual(partialsIn(root), []);
  });

  it('refuses keys outside the folder or into its partial folder', async () => {
    const target = new LocalArchiveTarget(scratch());
    for (const key of ['../x.json', 'warranties/../../x.json', `${PARTIAL_FOLDER}/x.partial`]) {
      await assert.rejects(target.put(key, '{}'), /escapes/, key);
    }
  });

  it('at start-up, removes partial files a crash left behind, and leaves young ones (a sibling worker may be writing them)', async () => {
    const root = scratch();
    mkdirSync(join(root, PARTIAL_FOLDER));
    const old = join(root, PARTIAL_FOLDER, 'old.partial');
    const young = join(root, PARTIAL_FOLDER, 'young.partial');
    writeFileSync(old, '{"half":');
    writeFileSync(young, '{"half":');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(old, twoMinutesAgo, twoMinutesAgo);
    const target = new LocalArchiveTarget(root);
    assert.equal(await target.staleRemoved, 1);
    assert.equal(existsSync(old), false);
    assert.equal(existsSync(young), true);
  });

  it('a process killed in the middle of a write: its partial file is gone after the next start', async () => {
    const root = scratch();
    const module = new URL('../../src/archive/local-archive-target.js', import.meta.url).href;
    // A record big enough that the kill lands mid-write.
    const writer = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { LocalArchiveTarget } = await import(${JSON.stringify(module)});
         const target = new LocalArchiveTarget(${JSON.stringify(root)});
         for (let i = 0; ; i++) await target.put('warranties/2026/11/25/s/' + i + '.json', 'x'.repeat(64 * 1024 * 1024));`,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 20_000;
    while (!(existsSync(join(root, PARTIAL_FOLDER)) && partialsIn(root).length > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    writer.kill('SIGKILL');
    await new Promise((resolve) => writer.once('exit', resolve));
    assert.ok(partialsIn(root).length > 0, 'the killed writer left a partial file (what the clean-up is for)');
    const next = new LocalArchiveTarget(root, 0); // treat every partial file as stale
    assert.ok((await next.staleRemoved) >= 1);
    assert.deepEqual(partialsIn(root), [], 'no partial file is left');
  });
});
