// cookieGroups and declarationQuery: the preferences' cookie lists from the cookie declaration.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cookieGroups, declarationQuery } from '../src/cookie-groups.js';

const VENDORS = {
  'google-analytics': { name: 'Google Analytics', category: 'performance' },
  'meta-pixel': { name: 'Meta Pixel', category: 'targeting' },
  cart: { name: 'Our cart', category: 'necessary' },
};

function cookie(name, vendor, provider) {
  return { name, vendor, provider, purpose: `${name}'s purpose`, duration: '1 day' };
}

const TOKEN = cookie('consent_token', null, 'Shop');
const CART = cookie('cart', 'cart', 'Shop');
const GA = cookie('_ga', 'google-analytics', 'Google');
const GID = cookie('_gid', 'google-analytics', 'Google');
const FBP = cookie('_fbp', 'meta-pixel', 'Meta');
// A vendor the version does not enable, which a scan saw (the declaration lists it).
const HOTJAR = cookie('_hjid', 'hotjar', 'Hotjar');

const BODY = {
  policy_version: 3,
  language: 'nl',
  categories: {
    necessary: { title: 'Noodzakelijk', cookies: [TOKEN, CART] },
    performance: { title: 'Prestaties', cookies: [GA, HOTJAR, GID] },
    functionality: { title: 'Functioneel', cookies: [] },
    targeting: { title: 'Marketing', cookies: [FBP] },
    social: { title: 'Sociale media', cookies: [] },
  },
  unclassified: [cookie('mystery', null, null)],
};

test('cookieGroups: per category, the version vendors with their cookies, by name', () => {
  assert.deepEqual(cookieGroups(BODY, VENDORS, 3), {
    necessary: [
      { name: 'Shop', cookies: [TOKEN] },
      { name: 'Our cart', cookies: [CART] },
    ],
    performance: [{ name: 'Google Analytics', cookies: [GA, GID] }],
    functionality: [],
    targeting: [{ name: 'Meta Pixel', cookies: [FBP] }],
    social: [],
  });
});

test('cookieGroups: a vendor without a name in the banner takes its provider', () => {
  const groups = cookieGroups(BODY, { 'meta-pixel': { category: 'targeting' } }, 3);
  assert.deepEqual(groups.targeting, [{ name: 'Meta', cookies: [FBP] }]);
  assert.deepEqual(groups.performance, []);
});

const NONE = [
  ['no answer (the request failed)', null, 3],
  ['another version (published since the banner loaded)', BODY, 2],
  ['an answer without categories (an error body)', { error: { code: 'x' } }, undefined],
];

for (const [name, body, version] of NONE) {
  test(`cookieGroups: ${name}: none`, () => {
    assert.equal(cookieGroups(body, VENDORS, version), null);
  });
}

const QUERIES = [
  ['nl-BE', '?lang=nl'],
  ['FR', '?lang=fr'],
  ['en', '?lang=en'],
  ['', ''],
  [undefined, ''],
  ['x-klingon', ''],
  ['nl_NL', ''],
];

for (const [tag, query] of QUERIES) {
  test(`declarationQuery(${JSON.stringify(tag)}) is ${JSON.stringify(query)}`, () => {
    assert.equal(declarationQuery(tag), query);
  });
}
