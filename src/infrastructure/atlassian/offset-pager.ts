export interface OffsetPage<T> {
  readonly values: readonly T[];
  readonly total?: number;
  readonly isLast?: boolean;
}

export interface PagerSettings {
  /** What to ask for; the server may answer with fewer per page. */
  readonly pageSize: number;
  /** Pages in flight at once, after the first. */
  readonly concurrency: number;
  /** A bound on requests, in case a server never says "last". */
  readonly maxPages: number;
  /** A bound on items, checked against the server's `total` before anything is allocated or requested for it. */
  readonly maxItems?: number;
}

/** The listing is larger than the bounds allow, or claims to be: the caller answers an upstream error. */
export class TooManyPagesError extends Error {}

/**
 * Every item of an offset-paged listing (Jira's startAt/maxResults/total/isLast), in server order.
 *
 * The first page tells the total and the page size the server really uses (Jira caps pages below what is
 * asked), so the remaining pages are fetched concurrently. The server is trusted for nothing else: a page
 * shorter than expected leaves a gap that is filled sequentially, and a last page that is not `isLast` (items
 * added meanwhile) is followed sequentially too. Items that shift between pages may appear twice; the caller
 * de-duplicates by id.
 */
export async function fetchAllPages<T>(
  fetchPage: (startAt: number, maxResults: number) => Promise<OffsetPage<T>>,
  settings: PagerSettings,
): Promise<readonly T[]> {
  const maxItems = settings.maxItems ?? Infinity;
  let requests = 0;
  let received = 0;
  const fetchCounted = async (startAt: number, maxResults: number): Promise<OffsetPage<T>> => {
    if (++requests > settings.maxPages) throw new TooManyPagesError(`more than ${settings.maxPages} pages`);
    const page = await fetchPage(startAt, maxResults);
    received += page.values.length;
    if (received > maxItems) throw new TooManyPagesError(`more than ${maxItems} items`);
    return page;
  };

  /** Sequential pages from `startAt` until the listing ends or `until` is reached. */
  const sequential = async (startAt: number, step: number, until = Infinity): Promise<{ items: T[]; next: number; ended: boolean }> => {
    const items: T[] = [];
    let next = startAt;
    while (next < until) {
      // Ask only for the gap, so a fill does not fetch the next page's items again.
      const page = await fetchCounted(next, Math.min(step, until - next));
      items.push(...page.values);
      next += page.values.length;
      if (isLastPage(page, next)) return { items, next, ended: true };
    }
    return { items, next, ended: false };
  };

  const first = await fetchCounted(0, settings.pageSize);
  const step = first.values.length;
  // Most listings are one page: it is the answer as it came, not a copy.
  if (isLastPage(first, step)) return first.values;
  if (first.total === undefined) return [...first.values, ...(await sequential(step, step)).items];

  // `total` is the server's word, so it is checked by arithmetic before it sizes anything: a first page claiming
  // 1e12 items once built an array of 1e10 offsets here, stalling the event loop and then exhausting the heap.
  const total = first.total;
  if (!Number.isSafeInteger(total) || total < 0) throw new TooManyPagesError('a page count that is not a count');
  if (total > maxItems) throw new TooManyPagesError(`a total of more than ${maxItems} items`);
  if (Math.ceil(total / step) > settings.maxPages) throw new TooManyPagesError(`more than ${settings.maxPages} pages`);
  const starts: number[] = [];
  for (let start = step; start < total; start += step) starts.push(start);
  const pages = await mapLimit(starts, settings.concurrency, (start) => fetchCounted(start, step));

  const items: T[] = [...first.values];
  let expected = step;
  let ended = false;
  for (const [index, page] of pages.entries()) {
    const start = starts[index]!;
    if (start > expected) {
      const filled = await sequential(expected, step, start);
      items.push(...filled.items);
    }
    items.push(...page.values);
    expected = start + page.values.length;
    ended = isLastPage(page, expected);
  }
  if (!ended) items.push(...(await sequential(expected, step)).items);
  return items;
}

function isLastPage(page: OffsetPage<unknown>, next: number): boolean {
  if (page.values.length === 0) return true;
  if (page.isLast !== undefined) return page.isLast;
  return page.total !== undefined && next >= page.total;
}

/** Maps with at most `limit` calls in flight; results keep the input order; the first failure rejects. */
export async function mapLimit<I, O>(inputs: readonly I[], limit: number, map: (input: I) => Promise<O>): Promise<O[]> {
  const results = new Array<O>(inputs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await map(inputs[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
  return results;
}
