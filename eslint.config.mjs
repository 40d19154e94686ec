// Flat config: typescript-eslint's recommended rules, plus the layering rule that keeps
// src/core free of the editor (the same rule is also checked by test/unit/layering.test.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-output/**', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/core must run under plain Node: no vscode import.' }],
        patterns: [{ group: ['**/extension/**', '**/integrations/**'], message: 'src/core must not depend on hosts or integrations.' }],
      }],
    },
  },
);
