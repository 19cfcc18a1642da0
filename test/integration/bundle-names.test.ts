import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every error class `src/` declares, by name: `name` is set from the class (`new.target.name`) and logged. */
function errorClassesOfSource(dir = path.join(root, 'src')): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [...readFileSync(path.join(dir, file), 'utf8').matchAll(/\bclass (\w+) extends \w*Error\b/g)].map((match) => match[1]!));
}

/**
 * The build bundles without esbuild's `keepNames` (it cost every request a `__name()` call per closure), so a
 * top-level name that clashes between two bundled modules is renamed (`Client` → `Client2`). Nothing may depend
 * on such a name at run time: the error classes of `src/` and node-fetch's (whose `name` getter returns
 * `constructor.name`) must each be defined in the bundle under their own name, not a renamed one.
 */
describe('the bundle keeps the names read at run time (dist/, built by npm test)', () => {
  const bundle = ['dist/main.js', ...readdirSync(path.join(root, 'dist/bundle')).filter((file) => file.endsWith('.js')).map((file) => `dist/bundle/${file}`)]
    .map((file) => readFileSync(path.join(root, file), 'utf8'))
    .join('\n');
  const names = [...errorClassesOfSource(), 'FetchBaseError', 'FetchError', 'AbortError'];

  it('finds the error classes of src/ (the scan reads what it should)', () => {
    expect(names).to.include.members(['AppError', 'RetryableError', 'UpstreamUnauthorizedError', 'ConfigError', 'NotSentError']);
  });

  for (const name of names) {
    it(`${name} is defined under its own name`, () => {
      expect(bundle, `${name} is not defined by name`).to.match(new RegExp(`(?:\\b(?:var|let|const) |[,;{}])${name}=class\\b|\\bclass ${name}\\b`));
      expect(bundle, `${name} is renamed`).not.to.match(new RegExp(`\\b${name}\\d+=class\\b|\\bclass ${name}\\d+\\b`));
    });
  }
});
