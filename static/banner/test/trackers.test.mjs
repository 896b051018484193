import assert from 'node:assert/strict';
import { test } from 'node:test';

import { vendorOf } from '../src/trackers.js';

const RULES = {
  'google-analytics': [['www.googletagmanager.com', 'google-analytics.com'], ["gtag('config'"]],
  'meta-pixel': [
    ['connect.facebook.net', 'www.facebook.com'],
    ["fbq('init'", 'connect.facebook.net/en_US/fbevents.js'],
  ],
  'linkedin-insight': [['snap.licdn.com', 'px.ads.linkedin.com'], ['_linkedin_partner_id']],
  'facebook-social': [['connect.facebook.net'], ['connect.facebook.net/en_US/sdk.js']],
};
const BASE = 'https://shop.example/page';

test('a URL on a vendor host or a subdomain of one is that vendor', () => {
  assert.equal(vendorOf(RULES, 'https://www.googletagmanager.com/gtag/js?id=G-1', '', BASE), 'google-analytics');
  assert.equal(vendorOf(RULES, 'https://region1.google-analytics.com/g/collect', '', BASE), 'google-analytics');
  assert.equal(vendorOf(RULES, '//px.ads.linkedin.com/collect?pid=1', '', BASE), 'linkedin-insight');
});

test('a host that only ends like a vendor host is not the vendor', () => {
  assert.equal(vendorOf(RULES, 'https://evilgoogle-analytics.com/x.js', '', BASE), undefined);
  assert.equal(vendorOf(RULES, 'https://snap.licdn.com.example/x.js', '', BASE), undefined);
});

test('first-party and relative URLs are nobody', () => {
  assert.equal(vendorOf(RULES, '/static/app.js', '', BASE), undefined);
  assert.equal(vendorOf(RULES, 'https://shop.example/app.js', '', BASE), undefined);
});

test('a marker tells apart vendors that share a host', () => {
  assert.equal(vendorOf(RULES, 'https://connect.facebook.net/en_US/sdk.js', '', BASE), 'facebook-social');
  assert.equal(vendorOf(RULES, 'https://connect.facebook.net/en_US/fbevents.js', '', BASE), 'meta-pixel');
});

test('an inline script is known by its markers or a host it names', () => {
  assert.equal(vendorOf(RULES, null, "gtag('js', new Date()); gtag('config', 'G-1');", BASE), 'google-analytics');
  assert.equal(vendorOf(RULES, null, '_linkedin_partner_id = "1";', BASE), 'linkedin-insight');
  assert.equal(vendorOf(RULES, null, 'b.src = "https://snap.licdn.com/li.lms-analytics/insight.min.js";', BASE), 'linkedin-insight');
  assert.equal(vendorOf(RULES, null, 'console.log("hello")', BASE), undefined);
});

test('a vendor without markers is known by its hosts alone', () => {
  const rules = { vimeo: [['player.vimeo.com']] };
  assert.equal(vendorOf(rules, 'https://player.vimeo.com/video/1', '', BASE), 'vimeo');
  assert.equal(vendorOf(rules, null, 'player.vimeo.com', BASE), 'vimeo');
  assert.equal(vendorOf(rules, null, 'nothing here', BASE), undefined);
});

test('double quotes in a snippet match a marker written with single ones', () => {
  assert.equal(vendorOf(RULES, null, 'gtag("config", "G-1");', BASE), 'google-analytics');
});

test('a URL is not matched by a host named in its query', () => {
  assert.equal(vendorOf(RULES, 'https://cdn.example/x.js?ref=snap.licdn.com', '', BASE), undefined);
});
