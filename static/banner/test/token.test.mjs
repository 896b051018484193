// The token: found among the page's cookies, and its choice read for display.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tokenChoice, tokenIn } from '../src/token.js';

// A token as the service makes it: URL-safe base64 JSON payload, a dot, a signature.
function tokenFor(payload) {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.c2lnbmF0dXJl`;
}

const lookups = [
  [['consent_token=abc.def'], 'abc.def'],
  [['a=1', 'consent_token=abc.def', 'b=2'], 'abc.def'],
  [['consent_token='], ''],
  [['other_consent_token=abc', 'consent_tokens=x'], undefined],
  [['a=1'], undefined],
  [[''], undefined],
  [[], undefined],
];

for (const [cookies, expected] of lookups) {
  test(`tokenIn(${JSON.stringify(cookies)}) is ${JSON.stringify(expected)}`, () => {
    assert.equal(tokenIn(cookies), expected);
  });
}

test("tokenChoice reads the choice of this site's token", () => {
  const token = tokenFor({ site: 'site1', cat: { performance: true, social: false } });
  assert.deepEqual(tokenChoice(token, 'site1'), {
    necessary: true,
    performance: true,
    functionality: false,
    targeting: false,
    social: false,
  });
});

test('tokenChoice reads payloads whose base64 needs - and _ (URL-safe alphabet)', () => {
  // Characters chosen so that the standard alphabet would need + and /.
  const payload = { site: 'site1', cat: { targeting: true }, note: '~~~???>>>' };
  const token = tokenFor(payload);
  assert.match(token.split('.')[0], /[-_]/);
  assert.equal(tokenChoice(token, 'site1').targeting, true);
});

const unreadable = [
  ['another site', tokenFor({ site: 'other', cat: { performance: true } }), 'site1'],
  ['not base64', '%%%.sig', 'site1'],
  ['not JSON', `${Buffer.from('not json').toString('base64url')}.sig`, 'site1'],
  ['JSON null', `${Buffer.from('null').toString('base64url')}.sig`, 'site1'],
  ['empty', '', 'site1'],
];

for (const [name, token, siteKey] of unreadable) {
  test(`tokenChoice of ${name} is null`, () => {
    assert.equal(tokenChoice(token, siteKey), null);
  });
}
