import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded at its first use rather than at start, for a package only some processes or some
 * configurations use (a provider's SDK, the PostgreSQL driver): a worker that never calls it does not carry it.
 * Synchronous, so the code using it keeps its shape; the package is read once, then served from Node's cache.
 */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(name) as T;
    return loaded;
  };
}
