// The host page: nothing the banner does may break it; when it is parsed and painted; its
// cookies.

/** ``fn``, but an exception is logged, never thrown: nothing may break the host page. */
export function guard(fn) {
  return function () {
    try {
      return fn.apply(this, arguments);
    } catch (err) {
      console.warn('[consent]', err);
    }
  };
}

/** Run ``fn`` once the document is parsed (at once if it is). */
export function whenReady(fn) {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', guard(fn));
  else fn();
}

/** Run ``fn`` once the current frame has been painted (soon, in a hidden page). */
export function afterPaint(fn) {
  if (document.hidden) setTimeout(fn);
  else requestAnimationFrame(() => setTimeout(fn));
}

/** The page's cookies, "name=value" each (none where cookies are unavailable). */
export function readCookies() {
  try {
    // (The browser joins them with "; "; a string, not a pattern: a pattern's first use
    // compiles it.)
    return document.cookie.split('; ');
  } catch (err) {
    return [];
  }
}
