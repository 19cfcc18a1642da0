import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '../../src/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of markdown.replace(/```[\s\S]*?```/g, '').split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading === null) continue;
    const base = heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(full);
    return /\.(ts|mjs|sh)$/.test(name) ? [full] : [];
  });
}

describe('docs', () => {
  it('every relative link in README.md and docs/ reaches a file, and every #anchor a heading', () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      const text = read(file).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [relative, anchor] = target!.split('#') as [string, string | undefined];
        const resolved = relative === '' ? file : path.posix.join(path.posix.dirname(file), relative);
        if (!existsSync(path.join(ROOT, resolved))) {
          broken.push(`${file}: ${target} (no file ${resolved})`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(read(resolved)).has(anchor)) {
          broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
        }
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it('every variable the service reads is in .env.example and in the docs', () => {
    const example = read('.env.example');
    const docs = DOCS.map(read).join('\n');
    const undocumented = CONFIG_VARIABLES.filter((name) => !new RegExp(`\\b${name}=`).test(example) || !docs.includes(`\`${name}\``));
    expect(CONFIG_VARIABLES.length).to.be.greaterThan(40);
    expect(undocumented).to.deep.equal([]);
  });

  it('every variable-like name the docs mention is read by the service, or is a name in the code or scripts', () => {
    const code = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'bench')), ...sourceFiles(path.join(ROOT, 'sandbox')), ...sourceFiles(path.join(ROOT, 'test')), ...sourceFiles(path.join(ROOT, 'scripts'))]
      .filter((file) => !file.endsWith(path.join('test', 'docs', 'docs.test.ts')))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    // Read by the OpenTelemetry exporter or by Node itself (their standard variables), or a placeholder in an example URL.
    const outside = new Set(['OTEL_EXPORTER_OTLP_HEADERS', 'NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'CLIENT_ID']);
    const named = new Set(DOCS.flatMap((file) => [...read(file).matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((match) => match[1]!)));
    const unknown = [...named].filter((name) => !CONFIG_VARIABLES.includes(name) && !outside.has(name) && !new RegExp(`\\b${name}\\b`).test(code));
    expect(unknown).to.deep.equal([]);
  });
});
