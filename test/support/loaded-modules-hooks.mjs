// Module hooks registered by loaded-packages-probe.mjs: appends the URL of every module the process loads through
// the ES module loader (each chunk of the bundle, and what it imports) to a file, one a line. Written at once, so
// the list is complete whenever the process exits.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
