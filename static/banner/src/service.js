// The service: its visitor API, and what the first layer leaves for later (code and texts).

import { config, language, nonce, takeTexts, texts } from './site.js';

let loading, all;

/**
 * One request (a POST when there is a ``body``): resolves [status, body or null], or null on
 * a network failure or after 8 s.
 */
export async function request(path, body) {
  try {
    const response = await fetch(
      // Site keys and vendor ids are URL-safe.
      `${config.api_base}/api/v1/sites/${config.site_key}/${path}`,
      {
        method: body && 'POST',
        headers: body && { 'Content-Type': 'application/json' },
        body: body && JSON.stringify(body),
        // A cross-origin fetch is in CORS mode; the gate's answers are never stored.
        credentials: 'omit',
        // (A browser without AbortSignal.timeout, older than the stylesheet's targets,
        // gets null: nothing recorded, nothing loaded.)
        signal: AbortSignal.timeout(8000),
      },
    );
    return [response.status, await response.json().catch(() => null)];
  } catch (err) {
    return null;
  }
}

/**
 * The exports of later.js, this build's (LATER_INTEGRITY, its sha256, is written into this
 * code by build.sh: the build covers it), loaded once when first asked for; rejects if it
 * cannot be loaded (the next call tries again).
 */
export function later() {
  return (loading ||= new Promise((resolve, reject) => {
    document.addEventListener('consent-ledger-later', (event) => resolve(event.detail), {
      once: true,
    });
    const script = document.createElement('script');
    script.src = `${config.api_base}/embed/builds/${config.build}/later.js`;
    script.integrity = LATER_INTEGRITY;
    script.crossOrigin = 'anonymous';
    if (nonce) script.nonce = nonce;
    script.onerror = () => reject((loading = null));
    document.head.append(script);
  }));
}

/**
 * Resolves once this page's texts and labels are whole and its vendors named: the embed
 * carries only what the first layer shows (the preferences and the placeholders show the
 * rest), so the config API's, asked for once; rejects if it cannot answer for this version
 * (the next call asks again).
 */
export function fullTexts() {
  return (all ||=
    texts.save ||
    request(`config?lang=${language}`).then((result) => {
      takeTexts(result);
      if (!texts.save) throw (all = 0);
    }));
}
