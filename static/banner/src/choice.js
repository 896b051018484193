// A visitor's choice: every category on or off, necessary always on.

import { CATEGORY_IDS } from './constants.js';

/** A complete choice: ``all`` on, or ``partial``'s with omitted ones off; necessary is on. */
export function choiceFrom(partial, all) {
  const choice = {};
  for (const id of CATEGORY_IDS)
    choice[id] = all || id === 'necessary' || (partial || {})[id] === true;
  return choice;
}
