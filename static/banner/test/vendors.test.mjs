// vendorsIn: the vendors a set of categories covers (refused on a choice, listed in a category).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { vendorsIn } from '../src/vendors.js';

const VENDORS = {
  'google-analytics': { name: 'Google Analytics', category: 'performance' },
  'meta-pixel': { name: 'Meta Pixel', category: 'targeting' },
  'session-cookie': { name: 'Our session', category: 'necessary' },
  hubspot: { name: 'HubSpot', category: 'functionality' },
  'linkedin-insight': { name: 'LinkedIn Insight', category: 'targeting' },
};

const cases = [
  [['targeting'], ['meta-pixel', 'linkedin-insight']],
  [['performance', 'targeting'], ['google-analytics', 'meta-pixel', 'linkedin-insight']],
  [['necessary'], ['session-cookie']],
  [['social'], []],
  [[], []],
];

for (const [categories, expected] of cases) {
  test(`vendorsIn ${JSON.stringify(categories)}: in the configuration's order`, () => {
    assert.deepEqual(vendorsIn(VENDORS, categories), expected);
  });
}

test('vendorsIn of no vendors is empty', () => {
  assert.deepEqual(vendorsIn({}, ['performance']), []);
});
