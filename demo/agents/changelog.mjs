// The scribe: writes CHANGELOG.md from the tasks the board has finished (asked through the CLI).
import { writeFileSync } from 'node:fs';
import { dreamos, readPrompt, result } from './lib.mjs';

readPrompt();
const done = dreamos('task', 'list', '--status', 'done');
const lines = done.map((t) => `- ${t.title}${t.resultSummary ? `: ${t.resultSummary}` : ''}`);
writeFileSync('CHANGELOG.md', `# Changelog\n\n## Unreleased\n\n${lines.join('\n')}\n`);
console.log(`scribe: ${lines.length} entries`);
result(`CHANGELOG.md written with ${lines.length} entries`, [{ kind: 'file', summary: `CHANGELOG.md: ${lines.length} entries` }]);
