// ESLint runs only the type-aware promise rules, which need TypeScript's own type checker; biome (biome.json) formats and lints the rest.
// A promise nobody awaits or catches is a reply never sent in order or a rejection nobody sees: await it, or `void` it with a comment
// saying who handles its errors.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'db/migrations/', 'db/migrations-pg/', 'coverage/', 'data/', 'dist/'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
