// The fixer: repairs src/slugify.js. Its first attempt only handles spaces; the loop's check
// (node --test) fails, the task is failed with that evidence and retried. The second attempt
// sees "attempt 2" and the failing check in its prompt, and handles punctuation too.
import { writeFileSync } from 'node:fs';
import { attemptOf, readPrompt, result } from './lib.mjs';

const prompt = readPrompt();
const attempt = attemptOf(prompt);
console.log(`fixer: attempt ${attempt}`);
const body =
  attempt === 1
    ? "  return title.toLowerCase().replace(/ /g, '-');"
    : "  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');";
if (attempt > 1 && /FAILED/.test(prompt)) console.log('fixer: the last check failed, so punctuation must go too');
writeFileSync('src/slugify.js', `// Turns a title into a URL slug.\nexport function slugify(title) {\n${body}\n}\n`);
result(`slugify rewritten (attempt ${attempt})`, [{ kind: 'file', summary: 'src/slugify.js rewritten' }]);
