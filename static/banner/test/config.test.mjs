// readConfig: the configuration the embed calls the bundle with (its __CONSENT_CONFIG__).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { readConfig } from '../src/config.js';

afterEach(() => {
  delete globalThis.__CONSENT_CONFIG__;
});

test('called without a configuration: none', () => {
  globalThis.__CONSENT_CONFIG__ = undefined;
  assert.equal(readConfig(), undefined);
});

const cases = [
  ['null (the preview frame could not parse its draft)', null, false],
  ['no site_key', { api_base: 'https://consent.example' }, false],
  ['no api_base', { site_key: 'site1' }, false],
  ['complete', { site_key: 'site1', api_base: 'https://consent.example' }, true],
];

for (const [name, value, accepted] of cases) {
  test(`readConfig: ${name}`, () => {
    globalThis.__CONSENT_CONFIG__ = value;
    if (accepted) assert.equal(readConfig(), value);
    else assert.ok(!readConfig());
  });
}
