// choiceFrom: every category, necessary always on, omitted ones off.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { choiceFrom } from '../src/choice.js';

const NONE = {
  necessary: true,
  performance: false,
  functionality: false,
  targeting: false,
  social: false,
};

const cases = [
  ['no partial: only necessary', undefined, false, NONE],
  ['null partial', null, false, NONE],
  ['all on', undefined, true, Object.fromEntries(Object.keys(NONE).map((id) => [id, true]))],
  ['omitted categories are off', { performance: true }, false, { ...NONE, performance: true }],
  ['necessary cannot be turned off', { necessary: false }, false, NONE],
  ['only true counts, not truthy', { performance: 1, social: 'yes' }, false, NONE],
  ['unknown categories are dropped', { marketing: true }, false, NONE],
  ['all wins over the partial', { performance: false }, true, choiceFrom(null, true)],
];

for (const [name, partial, all, expected] of cases) {
  test(`choiceFrom: ${name}`, () => {
    assert.deepEqual(choiceFrom(partial, all), expected);
  });
}

test('choiceFrom returns a fresh object each time', () => {
  const partial = { performance: true };
  const first = choiceFrom(partial);
  first.performance = false;
  assert.equal(choiceFrom(partial).performance, true);
  assert.notEqual(choiceFrom(partial), choiceFrom(partial));
});
