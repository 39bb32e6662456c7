import type { ESLint } from 'eslint';

/** The plugin of scripts/eslint-layers.mjs: one rule, `imports-go-down`. */
declare const layers: ESLint.Plugin;
export default layers;
