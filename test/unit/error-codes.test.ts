/** The documented error-code enum (ERROR_CODES) lists exactly the codes the sources send. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../src/error-codes.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '../../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Codes passed to `new ApiError(status, 'CODE', …)` or a domain error's `super(reason, 'CODE', …)`, returned by the error mapper, or in its status → code table. */
function codesInSources(): Set<string> {
  const codes = new Set<string>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/new ApiError\(\s*HttpStatus\.\w+,\s*'([A-Z_]+)'/g)) codes.add(match[1]);
    for (const match of text.matchAll(/\b(?:errorBody|body)\(\s*(?:HttpStatus\.\w+|\d{3}),\s*'([A-Z_]+)'/g)) codes.add(match[1]);
    // The HTTP server's own answers (http-server-guards.ts): `[status, 'CODE', …]` tuples and rawAnswer(status, 'CODE', …).
    for (const match of text.matchAll(/\[\s*\d{3},\s*'([A-Z_]+)'/g)) codes.add(match[1]);
    for (const match of text.matchAll(/rawAnswer\(\s*\d{3},\s*'([A-Z_]+)'/g)) codes.add(match[1]);
    for (const match of text.matchAll(/HttpStatus\.\w+,\s*'([A-Z_]+)',\s*`/g)) codes.add(match[1]);
    for (const match of text.matchAll(/super\(\s*'[a-z-]+',\s*'([A-Z_]+)'/g)) codes.add(match[1]);
    const table = /CODE_BY_STATUS[^=]*=\s*\{([^}]*)\}/.exec(text);
    if (table) for (const match of table[1].matchAll(/'([A-Z_]+)'/g)) codes.add(match[1]);
  }
  return codes;
}

describe('ERROR_CODES', () => {
  it('lists every code the service sends, and nothing else', () => {
    const found = codesInSources();
    assert.ok(found.size >= 8, `the scan found too little: ${[...found].join(', ')}`);
    assert.deepEqual([...ERROR_CODES].sort(), [...found].sort());
  });
});
