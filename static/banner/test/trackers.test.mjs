import assert from 'node:assert/strict';
import { test } from 'node:test';

import { vendorOf } from '../src/trackers.js';

// As the embed sends them: [{host: id}, {marker: id}] (the service's rules, per vendor
// [hosts, markers], turned around; the first vendor that names a host or marker keeps it).
function rules(byVendor) {
  const hosts = {};
  const markers = {};
  for (const id in byVendor) {
    const [names, marks = []] = byVendor[id];
    for (const name of names) hosts[name] ||= id;
    for (const mark of marks) markers[mark] ||= id;
  }
  return [hosts, markers];
}

const RULES = rules({
  'google-analytics': [['www.googletagmanager.com', 'google-analytics.com'], ["gtag('config'"]],
  'meta-pixel': [
    ['connect.facebook.net', 'www.facebook.com'],
    ["fbq('init'", 'connect.facebook.net/en_US/fbevents.js'],
  ],
  'linkedin-insight': [['snap.licdn.com', 'px.ads.linkedin.com'], ['_linkedin_partner_id']],
  'facebook-social': [['connect.facebook.net'], ['connect.facebook.net/en_US/sdk.js']],
});
const BASE = new URL('https://shop.example/page');

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
  const vimeo = rules({ vimeo: [['player.vimeo.com']] });
  assert.equal(vendorOf(vimeo, 'https://player.vimeo.com/video/1', '', BASE), 'vimeo');
  assert.equal(vendorOf(vimeo, null, 'player.vimeo.com', BASE), 'vimeo');
  assert.equal(vendorOf(vimeo, null, 'nothing here', BASE), undefined);
});

test('double quotes in a snippet match a marker written with single ones', () => {
  assert.equal(vendorOf(RULES, null, 'gtag("config", "G-1");', BASE), 'google-analytics');
});

test('a URL is not matched by a host named in its query', () => {
  assert.equal(vendorOf(RULES, 'https://cdn.example/x.js?ref=snap.licdn.com', '', BASE), undefined);
});

// The URL parser's answer, for comparison with the shortcut vendorOf takes for plain URLs.
function parsedHost(url, base) {
  try {
    return new URL(url, base).hostname;
  } catch (err) {
    return undefined;
  }
}

test('every URL gets the vendor of the host the URL parser reads, shortcut or not', () => {
  const byHost = rules({
    meta: [['connect.facebook.net']],
    shop: [['shop.example']],
    evil: [['evil.example']],
  });
  const urls = [
    'https://connect.facebook.net/x.js', 'HTTPS://CONNECT.FACEBOOK.NET/X.JS',
    '//connect.facebook.net/x.js', 'http://connect.facebook.net:8080/x.js',
    'https://connect.facebook.net', 'https://connect.facebook.net?x', 'https://connect.facebook.net#x',
    'https://x.connect.facebook.net./y', 'https://user@evil.example/x', 'https://evil.example\\x',
    'https:evil.example/x', 'https:/evil.example/x', 'http:evil.example/x', 'https:\\\\evil.example/x',
    '\\\\evil.example/x', '/\\evil.example/x', ' //evil.example/x', '\t//evil.example/x',
    '/\t/evil.example/x', '/\n/evil.example/x', 'ht\ntps://evil.example/x', '/x.js', 'x.js', '?q',
    '#f', './a:b', '/a:b/c', 'a_b:c', 'javascript:void(0)', 'data:text/javascript,1',
    'blob:https://evil.example/1', 'https://%65vil.example/x', 'https://\u00e9vil.example/x',
    'https://[::1]/x', 'https://127.0.0.1/x', 'https://evil_example/x',
    'mailto:a@evil.example', 'HTTPS:evil.example', 'https://evil.example%2f@x/',
  ];
  for (const base of ['https://shop.example/page', 'http://shop.example/a/b?c']) {
    for (const url of urls) {
      const host = parsedHost(url, base);
      let expected;
      for (let name = host; name && !expected; name = name.slice(name.indexOf('.') + 1 || name.length))
        expected = byHost[0][name];
      assert.equal(vendorOf(byHost, url, '', new URL(base)), expected, `${url} on ${base}`);
    }
  }
});

test('a host named like an Object method is nobody', () => {
  assert.equal(vendorOf(RULES, 'https://constructor/x', '', BASE), undefined);
  assert.equal(vendorOf(RULES, 'https://a.__proto__/x', '', BASE), undefined);
});
