import { expect } from 'chai';
import { fetchAllPages, mapLimit, TooManyPagesError, type OffsetPage, type PagerSettings } from '../../../src/infrastructure/atlassian/offset-pager.js';

/** A few turns of the event loop, so concurrent calls really overlap. */
const tick = (ms = 1) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface PageRequest {
  readonly startAt: number;
  readonly maxResults: number;
}

interface FakeServerOptions {
  /** The server's own page cap, below what the client asks (like Jira's). */
  readonly cap: number;
  /** Whether pages carry `total` (Jira's project search does; some endpoints do not). */
  readonly withTotal?: boolean;
  /** Whether pages carry `isLast`. */
  readonly withIsLast?: boolean;
  /** Lets a test change a page's answer (short page, failure, items added meanwhile). */
  readonly intercept?: (request: PageRequest, page: OffsetPage<number>) => OffsetPage<number> | Promise<OffsetPage<number>>;
}

/** An in-memory offset-paged listing of `items`, recording requests and how many were in flight at once. */
function fakeServer(items: number[], options: FakeServerOptions) {
  const requests: PageRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchPage = async (startAt: number, maxResults: number): Promise<OffsetPage<number>> => {
    const request = { startAt, maxResults };
    requests.push(request);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await tick();
      const values = items.slice(startAt, startAt + Math.min(maxResults, options.cap));
      const page: OffsetPage<number> = {
        values,
        ...(options.withTotal === false ? {} : { total: items.length }),
        ...(options.withIsLast === false ? {} : { isLast: startAt + values.length >= items.length }),
      };
      return options.intercept === undefined ? page : await options.intercept(request, page);
    } finally {
      inFlight--;
    }
  };
  return {
    fetchPage,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const SETTINGS: PagerSettings = { pageSize: 100, concurrency: 4, maxPages: 10_000 };

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('expected a rejection');
}

/** First occurrence of each item, in order (what the gateway's de-duplication by id yields). */

describe('fetchAllPages', () => {
  it('returns every item, in server order, when the server caps pages below the asked size', async () => {
    const items = range(1_037);
    const server = fakeServer(items, { cap: 50 });

    const result = await fetchAllPages(server.fetchPage, SETTINGS);

    expect(result).to.deep.equal(items);
    expect(server.requests[0]).to.deep.equal({ startAt: 0, maxResults: 100 });
    // After the first page, requests follow the page size the server really uses.
    const rest = server.requests.slice(1);
    expect(rest.every((r) => r.maxResults === 50)).to.equal(true);
    expect(rest.map((r) => r.startAt).sort((a, b) => a - b)).to.deep.equal(range(20, 1).map((i) => i * 50));
  });

  it('returns a single page at once when the first page is the last', async () => {
    const server = fakeServer(range(30), { cap: 50 });
    expect(await fetchAllPages(server.fetchPage, SETTINGS)).to.deep.equal(range(30));
    expect(server.requests).to.have.length(1);
  });

  it('returns [] for an empty listing after one request', async () => {
    const server = fakeServer([], { cap: 50 });
    expect(await fetchAllPages(server.fetchPage, SETTINGS)).to.deep.equal([]);
    expect(server.requests).to.have.length(1);
  });

  it('keeps at most `concurrency` pages in flight, and does fetch concurrently', async () => {
    const server = fakeServer(range(2_000), { cap: 50 });

    const result = await fetchAllPages(server.fetchPage, { ...SETTINGS, concurrency: 3 });

    expect(result).to.deep.equal(range(2_000));
    expect(server.maxInFlight).to.be.at.most(3);
    expect(server.maxInFlight).to.be.greaterThan(1);
  });

  it('with concurrency 1, fetches one page at a time', async () => {
    const server = fakeServer(range(500), { cap: 50 });
    expect(await fetchAllPages(server.fetchPage, { ...SETTINGS, concurrency: 1 })).to.deep.equal(range(500));
    expect(server.maxInFlight).to.equal(1);
  });

  it('fills the gap left by a page that comes back short: no item is missing and order is kept', async () => {
    const items = range(400);
    const server = fakeServer(items, {
      cap: 50,
      intercept: (request, page) =>
        // The page at 150 answers only 10 of its 50 items; the server still says more follow.
        request.startAt === 150 && request.maxResults === 50 && page.values[0] === 150
          ? { ...page, values: page.values.slice(0, 10), isLast: false }
          : page,
    });

    const result = await fetchAllPages(server.fetchPage, SETTINGS);

    // Every item is there, once, in order: the fill asks only for the gap.
    expect(result).to.deep.equal(items);
    // The gap 160..199 was asked for, and only it.
    expect(server.requests.filter((r) => r.startAt === 160).map((r) => r.maxResults)).to.deep.equal([40]);
  });

  it('fills a gap left by a short page in the middle of many, with other pages concurrently in flight', async () => {
    const items = range(1_000);
    const shortAt = new Set([100, 450, 900]);
    const server = fakeServer(items, {
      cap: 50,
      intercept: (request, page) =>
        shortAt.has(request.startAt) ? { ...page, values: page.values.slice(0, 1), isLast: false } : page,
    });

    const result = await fetchAllPages(server.fetchPage, { ...SETTINGS, concurrency: 5 });

    expect(result).to.deep.equal(items);
  });

  it('follows items added during the listing (the last expected page is not isLast)', async () => {
    const items = range(200);
    let grown = false;
    const server = fakeServer(items, {
      cap: 50,
      intercept: (request, page) => {
        // Right after the first page told total 200, 30 projects are created.
        if (!grown && request.startAt === 0) {
          grown = true;
          items.push(...range(30, 200));
        }
        return page;
      },
    });

    const result = await fetchAllPages(server.fetchPage, SETTINGS);

    expect(result).to.deep.equal(range(230));
    expect(server.requests.some((r) => r.startAt === 200)).to.equal(true);
  });

  it('without a total, pages sequentially until the last page', async () => {
    const server = fakeServer(range(260), { cap: 50, withTotal: false });

    const result = await fetchAllPages(server.fetchPage, { ...SETTINGS, concurrency: 8 });

    expect(result).to.deep.equal(range(260));
    expect(server.maxInFlight).to.equal(1);
    expect(server.requests.map((r) => r.startAt)).to.deep.equal([0, 50, 100, 150, 200, 250]);
  });

  it('without total or isLast, stops at the first empty page', async () => {
    const server = fakeServer(range(120), { cap: 50, withTotal: false, withIsLast: false });
    expect(await fetchAllPages(server.fetchPage, SETTINGS)).to.deep.equal(range(120));
    expect(server.maxInFlight).to.equal(1);
  });

  it('rejects when the first page fails', async () => {
    const boom = new Error('first page failed');
    const server = fakeServer(range(500), {
      cap: 50,
      intercept: (request, page) => {
        if (request.startAt === 0) throw boom;
        return page;
      },
    });

    expect(await rejectionOf(fetchAllPages(server.fetchPage, SETTINGS))).to.equal(boom);
    expect(server.requests).to.have.length(1);
  });

  it('rejects when a later page fails: no partial result', async () => {
    const boom = new Error('page 300 failed');
    const server = fakeServer(range(500), {
      cap: 50,
      intercept: (request, page) => {
        if (request.startAt === 300) throw boom;
        return page;
      },
    });

    expect(await rejectionOf(fetchAllPages(server.fetchPage, SETTINGS))).to.equal(boom);
  });

  it('rejects when a sequential (no total) page fails', async () => {
    const boom = new Error('page 100 failed');
    const server = fakeServer(range(300), {
      cap: 50,
      withTotal: false,
      intercept: (request, page) => {
        if (request.startAt === 100) throw boom;
        return page;
      },
    });

    expect(await rejectionOf(fetchAllPages(server.fetchPage, SETTINGS))).to.equal(boom);
  });

  it('throws TooManyPagesError, before fetching them, when the total needs more than maxPages pages', async () => {
    const server = fakeServer(range(1_000), { cap: 50 });

    const error = await rejectionOf(fetchAllPages(server.fetchPage, { ...SETTINGS, maxPages: 5 }));

    expect(error).to.be.instanceOf(TooManyPagesError);
    expect(server.requests).to.have.length(1);
  });

  it('throws TooManyPagesError when a server never says "last"', async () => {
    let calls = 0;
    const endless = async (startAt: number): Promise<OffsetPage<number>> => {
      calls++;
      await tick(0);
      return { values: range(10, startAt), isLast: false };
    };

    const error = await rejectionOf(fetchAllPages(endless, { ...SETTINGS, maxPages: 7 }));

    expect(error).to.be.instanceOf(TooManyPagesError);
    expect(calls).to.equal(7);
  });

  it('exactly maxPages pages is allowed', async () => {
    const server = fakeServer(range(250), { cap: 50 });
    expect(await fetchAllPages(server.fetchPage, { ...SETTINGS, maxPages: 5 })).to.deep.equal(range(250));
  });

  describe('a hostile or broken total', () => {
    /** A first page of 50 items that claims `total`, and is not the last. */
    const claiming = (total: number) => {
      let calls = 0;
      const fetchPage = async (startAt: number): Promise<OffsetPage<number>> => {
        calls++;
        return { values: range(50, startAt), total, isLast: false };
      };
      return { fetchPage, calls: () => calls };
    };

    it('throws TooManyPagesError after the first request for total 1e12, without sizing anything by it', async () => {
      const server = claiming(1e12);

      // Before the fix this call built an array of 2e10 offsets: it did not return within the test's timeout.
      const error = await rejectionOf(fetchAllPages(server.fetchPage, { ...SETTINGS, maxItems: 100_000 }));

      expect(error).to.be.instanceOf(TooManyPagesError);
      expect(server.calls()).to.equal(1);
    });

    it('throws TooManyPagesError after the first request for a total one above maxItems; maxItems itself is allowed', async () => {
      const over = claiming(1_001);
      expect(await rejectionOf(fetchAllPages(over.fetchPage, { ...SETTINGS, maxItems: 1_000 }))).to.be.instanceOf(TooManyPagesError);
      expect(over.calls()).to.equal(1);

      const server = fakeServer(range(1_000), { cap: 50 });
      expect(await fetchAllPages(server.fetchPage, { ...SETTINGS, maxItems: 1_000 })).to.deep.equal(range(1_000));
    });

    for (const total of [Infinity, 1e300, -1, 1.5, Number.NaN, 2 ** 53]) {
      it(`throws TooManyPagesError after one request for total ${total} (not a non-negative safe integer)`, async () => {
        const server = claiming(total);

        expect(await rejectionOf(fetchAllPages(server.fetchPage, SETTINGS))).to.be.instanceOf(TooManyPagesError);
        expect(server.calls()).to.equal(1);
      });
    }

    it('stops a listing without total at maxItems items, though the server never says "last"', async () => {
      let calls = 0;
      const endless = async (startAt: number): Promise<OffsetPage<number>> => {
        calls++;
        return { values: range(10, startAt), isLast: false };
      };

      const error = await rejectionOf(fetchAllPages(endless, { ...SETTINGS, maxItems: 95 }));

      expect(error).to.be.instanceOf(TooManyPagesError);
      expect(calls).to.equal(10);
    });
  });
});

describe('mapLimit', () => {
  it('keeps the input order whatever order the calls finish in', async () => {
    const inputs = range(20);
    const result = await mapLimit(inputs, 4, async (n) => {
      await tick((n * 7) % 5);
      return `#${n}`;
    });
    expect(result).to.deep.equal(inputs.map((n) => `#${n}`));
  });

  it('keeps at most `limit` calls in flight, and uses the limit', async () => {
    let inFlight = 0;
    let max = 0;
    await mapLimit(range(30), 3, async (n) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await tick();
      inFlight--;
      return n;
    });
    expect(max).to.equal(3);
  });

  it('maps an empty input to [] without calling', async () => {
    let calls = 0;
    expect(await mapLimit([], 4, async () => ++calls)).to.deep.equal([]);
    expect(calls).to.equal(0);
  });

  it('a limit above the input size maps everything once', async () => {
    const seen: number[] = [];
    expect(await mapLimit([1, 2, 3], 10, async (n) => (seen.push(n), n * 2))).to.deep.equal([2, 4, 6]);
    expect(seen.sort()).to.deep.equal([1, 2, 3]);
  });

  it('rejects with the first failure', async () => {
    const boom = new Error('boom');
    const error = await rejectionOf(
      mapLimit(range(10), 3, async (n) => {
        await tick();
        if (n === 4) throw boom;
        return n;
      }),
    );
    expect(error).to.equal(boom);
  });
});
