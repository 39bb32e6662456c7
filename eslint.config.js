// Lint: the promise rules strict TypeScript cannot give (a forgotten await loses an error or a
// message), and the layers of the code (scripts/eslint-layers.mjs). Formatting is Prettier's.
import tseslint from 'typescript-eslint';
import layers from './scripts/eslint-layers.mjs';

export default tseslint.config(
  { ignores: ['dist/', 'release/', 'coverage/', 'node_modules/', 'renderer/dist/', '**/*.cjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { layers },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      'layers/imports-go-down': 'error',
    },
  },
);
