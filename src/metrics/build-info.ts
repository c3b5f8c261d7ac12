import { readFileSync } from 'node:fs';

/** The running build: the package's version and the commit it was built from. */
export interface BuildInfo {
  version: string;
  commit: string;
}

/** Written by `npm run build` (./build-info.cli.ts): dist/build-info.json. */
export const BUILD_INFO_FILE = new URL('../../build-info.json', import.meta.url);
const PACKAGE_FILE = new URL('../../../package.json', import.meta.url);

/** Read once at start-up from files: the service never runs git (a production image has neither git nor the history). */
export function readBuildInfo(): BuildInfo {
  const { version } = JSON.parse(readFileSync(PACKAGE_FILE, 'utf8')) as { version: string };
  let commit = 'unknown';
  try {
    commit = (JSON.parse(readFileSync(BUILD_INFO_FILE, 'utf8')) as Partial<BuildInfo>).commit || commit;
  } catch {
    // A build made without `npm run build` (the tests' compile): the commit is not known.
  }
  return { version, commit };
}
