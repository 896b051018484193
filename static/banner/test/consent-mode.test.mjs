// consentMode: Google Consent Mode v2 parameters from categories (DESIGN.md, gate rules).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { consentMode } from '../src/consent-mode.js';

const ALL = [
  'analytics_storage',
  'functionality_storage',
  'personalization_storage',
  'ad_storage',
  'ad_user_data',
  'ad_personalization',
];

test('without categories every parameter takes the value (never security_storage)', () => {
  assert.deepEqual(Object.keys(consentMode('denied')).sort(), [...ALL].sort());
  assert.ok(Object.values(consentMode('denied')).every((value) => value === 'denied'));
});

const cases = [
  [['performance'], ['analytics_storage']],
  [['functionality'], ['functionality_storage', 'personalization_storage']],
  [['targeting'], ['ad_storage', 'ad_user_data', 'ad_personalization']],
  [['social'], []],
  [['necessary'], []],
  [[], []],
  [
    ['performance', 'targeting'],
    ['analytics_storage', 'ad_storage', 'ad_user_data', 'ad_personalization'],
  ],
];

for (const [off, params] of cases) {
  test(`categories ${JSON.stringify(off)} set ${params.join(', ') || 'nothing'}`, () => {
    const mode = consentMode('denied', off);
    assert.deepEqual(Object.keys(mode).sort(), [...params].sort());
    for (const param of params) assert.equal(mode[param], 'denied');
  });
}
