// `npm run docs`: writes docs/reference/*.md from the sources (scripts/docs/render.ts).
// test/unit/docs.test.ts fails when the checked-in pages are stale: run this and commit the result.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderDocs, ROOT } from './render';

for (const [file, text] of renderDocs()) {
  const abs = path.join(ROOT, 'docs', file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  console.log(`docs/${file}`);
}
