/** .env.example lists every variable the service reads, and its values are the defaults. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/app-config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

function parseEnvFile(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}

/** Variable names the sources read: `read.int('PORT', …)`-style calls in the config loader. */
function variablesInSources(): Set<string> {
  const names = new Set<string>();
  const config = readFileSync(join(ROOT, 'src/config/app-config.ts'), 'utf8');
  for (const match of config.matchAll(/read\.\w+\('([A-Z][A-Z0-9_]*)'/g)) names.add(match[1]);
  return names;
}

describe('.env.example', () => {
  const example = parseEnvFile(readFileSync(join(ROOT, '.env.example'), 'utf8'));

  it('lists every variable the service reads, and no other', () => {
    const read = variablesInSources();
    assert.ok(read.has('PORT') && read.has('CORS_ORIGINS'), [...read].join(', '));
    assert.deepEqual(Object.keys(example).sort(), [...read].sort());
  });

  it('its values are the defaults: loading it gives the same configuration as an empty environment', () => {
    assert.deepEqual(loadConfig(example), loadConfig({}));
  });
});
