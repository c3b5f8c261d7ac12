/** CORS_ORIGINS: an allow-list of exact origins, validated like the rest of the configuration. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';

const loadHttpSecurityConfig = (env: NodeJS.ProcessEnv) => ({ corsOrigins: loadConfig(env).corsOrigins });

describe('CORS_ORIGINS in the configuration', () => {
  it('absent or blank: CORS off', () => {
    assert.deepEqual(loadHttpSecurityConfig({}), { corsOrigins: [] });
    assert.deepEqual(loadHttpSecurityConfig({ CORS_ORIGINS: '  ' }), { corsOrigins: [] });
  });

  it('a comma-separated list of origins, trimmed and deduplicated', () => {
    assert.deepEqual(loadHttpSecurityConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:5173,https://a.example.com' }), {
      corsOrigins: ['https://a.example.com', 'http://localhost:5173'],
    });
  });

  it('refuses wildcards, paths, trailing slashes, other schemes and empty entries, naming each', () => {
    for (const bad of [
      '*',
      'https://a.example.com/',
      'https://a.example.com/api',
      'ftp://a.example.com',
      'a.example.com',
      'https://a.example.com,,',
    ]) {
      assert.throws(
        () => loadHttpSecurityConfig({ CORS_ORIGINS: bad }),
        (error: unknown) => error instanceof ConfigError && error.problems.every((p) => p.startsWith('CORS_ORIGINS')),
        bad,
      );
    }
  });
});
