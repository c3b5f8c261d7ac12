import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { BUILD_INFO_FILE } from './build-info.js';

// Run by `npm run build` after compiling: records the commit the build comes from in dist/build-info.json,
// for warranty_build_info. BUILD_COMMIT (a CI's or `docker build --build-arg`'s) or SOURCE_VERSION (Heroku's)
// when set, else the checkout's HEAD when the build runs in a git checkout, else "unknown".
function gitHead(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

const commit = process.env.BUILD_COMMIT?.trim() || process.env.SOURCE_VERSION?.trim() || gitHead() || 'unknown';
writeFileSync(BUILD_INFO_FILE, `${JSON.stringify({ commit })}\n`);
process.stdout.write(`build info: commit ${commit}\n`);
