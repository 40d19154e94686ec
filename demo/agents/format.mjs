// The formatter: formats src/format-me.js, but as a change proposal the person approves in the
// diff view, not by writing into the tree. The task then waits in review.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dreamos, readPrompt } from './lib.mjs';

readPrompt();
const file = 'src/format-me.js';
const formatted =
  readFileSync(file, 'utf8')
    .replace(/\t/g, '  ')
    .split('\n')
    .map((l) => l.replace(/\s+$/, '').replace(/ {2,}(?=\S)/g, (m, i) => (i === 0 ? m : ' ')))
    .join('\n')
    .replace(/\(\s+\)/g, '()')
    .replace(/\)\{/g, ') {')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd() + '\n';
const scratch = path.join(process.env.DREAMOS_DIR, 'runs', process.env.DREAMOS_AGENT_NAME, `${process.env.DREAMOS_TASK_ID}-proposal`);
mkdirSync(path.join(scratch, 'src'), { recursive: true });
writeFileSync(path.join(scratch, file), formatted);
const p = dreamos('propose', '--title', `Format ${file}`, '--rationale', 'Consistent indentation, no trailing spaces.', '--file', file, '--from', scratch);
console.log(`formatter: proposed ${p.id}`);
dreamos('task', 'review', process.env.DREAMOS_TASK_ID, '--summary', `Proposed ${p.id}: format ${file}`, '--evidence', `file:proposal ${p.id} changes ${file}`);
