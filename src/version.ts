import { createRequire } from 'node:module';

// '#package.json' (the "imports" field of package.json) names this package's own package.json from any of its
// files: from src/ (tsx), from dist/ (tsc) and from the bundle's chunks in dist/bundle/ alike, where a path
// relative to the module would differ.
const pkg = createRequire(import.meta.url)('#package.json') as { name: string; version: string };

export const SERVICE_NAME: string = pkg.name;
export const SERVICE_VERSION: string = pkg.version;
