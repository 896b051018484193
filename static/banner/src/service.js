// The visitor API of the service.

import { config } from './site.js';

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
