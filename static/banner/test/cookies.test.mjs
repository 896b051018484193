// cookieMatcher: which cookie names the catalogue's patterns match.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cookieMatcher } from '../src/cookies.js';

test('no patterns match nothing: there is no matcher', () => {
  assert.equal(cookieMatcher([]), null);
  assert.equal(cookieMatcher(['']), null);
});

const cases = [
  // [patterns, name, matches]
  [['_ga'], '_ga', true],
  [['_ga'], '_gat', false],
  [['_ga'], 'x_ga', false],
  [['_ga_*'], '_ga_ABC123', true],
  [['_ga_*'], '_ga_', true],
  [['_ga_*'], '_ga', false],
  [['_ga', '_ga_*', '_gid'], '_gid', true],
  [['_ga', '_ga_*', '_gid'], '_gide', false],
  [['__hstc', 'hubspotutk'], 'hubspotutk', true],
  [['li_fat_id'], 'li_fat_id', true],
  [['*_session'], 'php_session', true],
  [['_fbp', '_fbc'], '_fbp_', false],
];

for (const [patterns, name, matches] of cases) {
  test(`${JSON.stringify(patterns)} ${matches ? 'match' : 'do not match'} ${name}`, () => {
    assert.equal(cookieMatcher(patterns).test(name), matches);
  });
}
