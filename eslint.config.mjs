// Flat config: typescript-eslint with type information, so that
// no-floating-promises can see every unawaited promise (a lost message in a consumer loop).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'out/', '.services/', 'coverage/', 'bin/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // kafkajs hands callbacks (resolveOffset, heartbeat, ...) as closures in payload objects;
      // destructuring them is the documented usage, not an unbound method.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Size limits that keep the source readable: a function past 120 lines is a set of
    // collaborators waiting for names; a file past 500 lines is several rooms. Prettier wraps
    // code at 120 columns; what it cannot wrap (a long string) must stay within 140.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 120 }],
      'max-lines': ['error', { max: 500 }],
      'max-len': ['error', { code: 140 }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
