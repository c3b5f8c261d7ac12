/** LOG_FORMAT: pretty for a person at a terminal in development, JSON for everything else (or as forced). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logFormatFrom, resolveLogFormat } from '../../src/common/log-format.js';
import { loadConfig } from '../../src/config/app-config.js';

describe('log format', () => {
  it('auto: pretty on a terminal outside production, JSON without a terminal or in production', () => {
    assert.equal(resolveLogFormat('auto', false, true), 'pretty');
    assert.equal(resolveLogFormat('auto', false, false), 'json');
    assert.equal(resolveLogFormat('auto', true, true), 'json');
  });

  it('LOG_FORMAT=json or pretty wins over the terminal test', () => {
    assert.equal(resolveLogFormat('json', false, true), 'json');
    assert.equal(resolveLogFormat('pretty', true, false), 'pretty');
    assert.equal(logFormatFrom({ LOG_FORMAT: 'pretty' }), 'pretty');
    assert.equal(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.equal(loadConfig({ LOG_FORMAT: 'json' }).logFormat, 'json');
  });

  it('anything else is a start-up error naming LOG_FORMAT', () => {
    assert.throws(() => loadConfig({ LOG_FORMAT: 'text' }), /LOG_FORMAT must be one of auto, json, pretty \(got "text"\)/);
  });
});
