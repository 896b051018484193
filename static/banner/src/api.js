// The consent service's visitor API: every call resolves, none ever throws into the page.

import { REQUEST_TIMEOUT_MS, RETRY_DELAYS_MS } from './config.js';

function siteUrl(config, path) {
  return `${config.api_base}/api/v1/sites/${encodeURIComponent(config.site_key)}/${path}`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// One request with a timeout; resolves {status, body} or null on a network failure.
async function request(url, init) {
  const abort = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = abort && setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  try {
    const options = { credentials: 'omit', mode: 'cors', cache: 'no-store' };
    if (abort) options.signal = abort.signal;
    const response = await fetch(url, Object.assign(options, init));
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    return { status: response.status, body };
  } catch (err) {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Record a choice; resolves the 201 body ({receipt, token}) or null once retries are spent. */
export async function postConsent(config, payload) {
  const init = {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
  };
  for (let attempt = 0; ; attempt++) {
    const result = await request(siteUrl(config, 'consents'), init);
    if (result && result.status === 201 && result.body && typeof result.body.token === 'string') {
      return result.body;
    }
    // A 4xx other than 429 will not get better by asking again.
    const transient = !result || result.status >= 500 || result.status === 429;
    if (!transient || attempt >= RETRY_DELAYS_MS.length) return null;
    await sleep(RETRY_DELAYS_MS[attempt] * (1 + Math.random() / 2));
  }
}

/** Ask the gate what may load; resolves its answer or null (then nothing may load). */
export async function askGate(config, vendorIds, token) {
  let query = `gate?vendors=${vendorIds.map(encodeURIComponent).join(',')}`;
  if (token) query += `&token=${encodeURIComponent(token)}`;
  const result = await request(siteUrl(config, query), { method: 'GET' });
  const answer = result && result.status === 200 ? result.body : null;
  return answer && typeof answer.decisions === 'object' ? answer : null;
}
