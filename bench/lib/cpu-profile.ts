import { readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

/** V8's .cpuprofile (what `node --cpu-prof` writes). */
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * Where a sample's time goes, looked for from the innermost frame outwards: the first rule whose frame is on the
 * stack names the sample. Order matters: node-fetch calls into streams, our code calls node-fetch.
 */
const RULES: ReadonlyArray<readonly [string, (frame: CallFrame) => boolean]> = [
  ['JSON.parse of the upstream page', (f) => f.functionName === 'parseBody'],
  ['encode + ETag of the answer', (f) => f.functionName === 'sendWithEtag'],
  ['logging (pino)', (f) => /node_modules\/(pino|@pinojs|sonic-boom)\//.test(f.url)],
  ['metrics (prom-client)', (f) => /node_modules\/prom-client\//.test(f.url)],
  ["stream.pipeline's abort on finish", (f) => f.functionName === 'finishImpl'],
  ['node-fetch', (f) => /node_modules\/(node-fetch|fetch-blob|formdata-polyfill|data-uri-to-buffer)\//.test(f.url)],
  ['service code (src/, compiled to dist/)', (f) => /\/(src|dist)\/(domain|application|infrastructure|http)\//.test(f.url)],
  ['Koa and its middleware', (f) => /node_modules\/(koa|@koa|koa-compose|koa-bodyparser|vary|type-is|statuses|http-errors|on-finished|delegates|accepts|content-type)\//.test(f.url)],
];

const SOCKET_WRITES = /^(writev|writeLatin1String|writeUtf8String|writeBuffer|writeString)$/;
const MODULE_LOADING = /module_job|modules\/cjs\/loader|esm\/translators|esm\/loader/;

/**
 * Milliseconds of CPU by category in one profile. `startup` (module loading) and `idle` are reported apart so a
 * caller can leave them out of per-request figures.
 */
export function cpuBudget(profile: CpuProfile): Map<string, number> {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

  const budget = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const stack: CallFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(nodes.get(cur)!.callFrame);
    const category = categorise(stack);
    budget.set(category, (budget.get(category) ?? 0) + us / 1000);
  }
  return budget;
}

function categorise(stack: readonly CallFrame[]): string {
  const leaf = stack[0]!;
  if (stack.some((frame) => MODULE_LOADING.test(frame.url))) return 'startup';
  if (leaf.functionName === '(idle)') return 'idle';
  if (leaf.functionName === '(garbage collector)') return 'garbage collection';
  if (SOCKET_WRITES.test(leaf.functionName)) return 'socket writes (loopback TCP, both ends)';
  for (const frame of stack) {
    const rule = RULES.find(([, matches]) => matches(frame));
    if (rule !== undefined) return rule[0];
  }
  return 'other Node internals (HTTP parsing, streams, timers, promises)';
}

/**
 * The main thread's profile among those a process left in `dir`: Node 20 runs module-loader hooks (tsx) on a
 * thread of their own, which writes a second, smaller profile.
 */
export function readMainThreadProfile(dir: string): CpuProfile {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => path.join(dir, name))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  return unbundled(JSON.parse(readFileSync(files[0]!, 'utf8')) as CpuProfile);
}

/**
 * The build bundles the service: its frames name a chunk of dist/, not the package the code came from. Each
 * chunk's source map (chained through tsc's) names it, so the frames are given that file as their URL and the
 * rules above sort them as for an unbundled process.
 */
function unbundled(profile: CpuProfile): CpuProfile {
  const maps = new Map<string, { map: SourceMap; dir: string } | null>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      try {
        const file = fileURLToPath(url);
        maps.set(url, { map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))), dir: path.dirname(file) });
      } catch {
        maps.set(url, null);
      }
    }
    return maps.get(url) ?? null;
  };
  const nodes = profile.nodes.map((node) => {
    const frame = node.callFrame;
    if (!frame.url.startsWith('file:') || !frame.url.includes('/dist/')) return node;
    const source = mapOf(frame.url);
    const entry = source?.map.findEntry(frame.lineNumber, frame.columnNumber);
    if (source === null || entry === undefined || !('originalSource' in entry)) return node;
    return { ...node, callFrame: { ...frame, url: path.resolve(source.dir, entry.originalSource) } };
  });
  return { ...profile, nodes };
}
