// The READMEs show the examples this suite runs, verbatim: each fenced block after
// an `<!-- example: PATH -->` line must equal that file (PATH from the repository
// root), so what a reader copies is what passed here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** [path, block] for each marked example in `readme`. */
function examples(readme) {
  const text = fs.readFileSync(path.join(REPO, readme), 'utf8');
  const found = [];
  const marker = /<!-- example: (\S+) -->\n+```\w*\n([\s\S]*?)```\n/g;
  for (const match of text.matchAll(marker)) found.push([match[1], match[2]]);
  return found;
}

for (const readme of ['README.md', 'clients/js/README.md']) {
  test(`${readme} shows the JS examples exactly as they run here`, () => {
    const mine = examples(readme).filter(([file]) => file.startsWith('clients/js/'));
    assert.ok(mine.length > 0, `${readme} marks a clients/js example`);
    for (const [file, block] of mine) {
      assert.equal(block, fs.readFileSync(path.join(REPO, file), 'utf8'), `${readme}: the block for ${file}`);
    }
  });
}
