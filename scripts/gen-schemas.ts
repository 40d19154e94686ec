// `npm run gen:schemas`: writes schemas/*.schema.json from the zod schemas that validate the board
// folder's config files (src/schemas/configSchemas.ts). test/unit/configSchemas.test.ts fails when
// they are stale, so run this after changing one of those schemas, and commit the result.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILES, configSchemaText } from '../src/schemas/configSchemas';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(path.join(root, 'schemas'), { recursive: true });
for (const c of CONFIG_FILES) {
  writeFileSync(path.join(root, 'schemas', c.schema), configSchemaText(c));
  console.log(`schemas/${c.schema} (.dreamos/${c.file})`);
}
