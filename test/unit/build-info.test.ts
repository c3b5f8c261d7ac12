/** warranty_build_info's commit: recorded into dist by `npm run build`, read from there at start-up (never git at run time). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { readBuildInfo } from '../../src/metrics/build-info.js';

const CLI = fileURLToPath(new URL('../../src/metrics/build-info.cli.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const build = (env: Record<string, string>) =>
  execFileSync(process.execPath, [CLI], { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });

describe('build info', () => {
  it("BUILD_COMMIT (a CI's, docker build --build-arg) wins, then SOURCE_VERSION (Heroku's)", () => {
    build({ BUILD_COMMIT: 'c0ffee1', SOURCE_VERSION: 'other' });
    assert.equal(readBuildInfo().commit, 'c0ffee1');
    build({ SOURCE_VERSION: 'feed123' });
    assert.equal(readBuildInfo().commit, 'feed123');
  });

  it("else the checkout's HEAD, read at build time; the version is the package's", () => {
    build({});
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO }).toString().trim();
    const { version } = JSON.parse(readFileSync(`${REPO}package.json`, 'utf8')) as { version: string };
    assert.deepEqual(readBuildInfo(), { version, commit: head });
  });
});
