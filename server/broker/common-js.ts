/**
 * The exports of a CommonJS package loaded with `import()`: Node names them on the namespace,
 * a bundle puts them under `default`. Both carry `default` = module.exports, so prefer it.
 */
export function commonJsExports<T extends object>(namespace: T): T {
  const fallback = (namespace as { default?: unknown }).default;
  return (fallback && typeof fallback === 'object' ? fallback : namespace) as T;
}
