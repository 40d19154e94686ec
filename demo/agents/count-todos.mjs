// The TODO counter: lists every TODO in src/ into reports/todos.md.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readPrompt, result } from './lib.mjs';

readPrompt();
const found = [];
for (const f of readdirSync('src', { recursive: true }).map(String).sort()) {
  const file = path.join('src', f);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // a folder
  }
  text.split('\n').forEach((line, i) => {
    if (/\bTODO\b/.test(line)) found.push(`- ${file.split(path.sep).join('/')}:${i + 1}: ${line.trim()}`);
  });
}
mkdirSync('reports', { recursive: true });
writeFileSync('reports/todos.md', `# TODOs\n\n${found.length} found.\n\n${found.join('\n')}\n`);
console.log(`todo-counter: ${found.length} TODOs`);
result(`${found.length} TODOs listed in reports/todos.md`, [{ kind: 'file', summary: `reports/todos.md: ${found.length} TODOs` }]);
