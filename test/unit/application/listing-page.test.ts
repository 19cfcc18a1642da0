import { expect } from 'chai';
import fc from 'fast-check';
import { foldText, pageOf } from '../../../src/application/listing-page.js';
import { AppError } from '../../../src/domain/errors.js';

const ITEMS = [
  { key: 'APP', name: 'Mobile app' },
  { key: 'EQ', name: 'Équipe Données' },
  { key: 'OPS', name: 'Operations' },
  { key: 'ZOE', name: 'Zoë' },
  { key: 'DOC', name: 'Documentation' },
];

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
}

describe('pageOf (search and paging of a listing)', () => {
  it('without q, limit or cursor answers every item and the count, no cursor', () => {
    expect(pageOf(ITEMS, 'v1', {})).to.deep.equal({ items: ITEMS, total: 5 });
  });

  it('q matches key or name, ignoring case and accents, and total counts the matches', () => {
    expect(pageOf(ITEMS, 'v1', { q: 'equipe' }).items.map((i) => i.key)).to.deep.equal(['EQ']);
    expect(pageOf(ITEMS, 'v1', { q: 'DONNEES' }).items.map((i) => i.key)).to.deep.equal(['EQ']);
    expect(pageOf(ITEMS, 'v1', { q: 'zoe' }).items.map((i) => i.key)).to.deep.equal(['ZOE']);
    expect(pageOf(ITEMS, 'v1', { q: 'Zoë' }).items.map((i) => i.key)).to.deep.equal(['ZOE']);
    expect(pageOf(ITEMS, 'v1', { q: 'ops' }).items.map((i) => i.key)).to.deep.equal(['OPS']);
    const ti = pageOf(ITEMS, 'v1', { q: 'TI' });
    expect(ti.items.map((i) => i.key)).to.deep.equal(['OPS', 'DOC']);
    expect(ti.total).to.equal(2);
    expect(pageOf(ITEMS, 'v1', { q: 'nothing like it' })).to.deep.equal({ items: [], total: 0 });
  });

  it('a blank q filters nothing', () => {
    expect(pageOf(ITEMS, 'v1', { q: '   ' }).total).to.equal(5);
  });

  it('limit cuts pages; next_cursor leads through every match exactly once, then stops', () => {
    const first = pageOf(ITEMS, 'v1', { limit: 2 });
    expect(first.items.map((i) => i.key)).to.deep.equal(['APP', 'EQ']);
    expect(first.total).to.equal(5);
    const second = pageOf(ITEMS, 'v1', { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((i) => i.key)).to.deep.equal(['OPS', 'ZOE']);
    const last = pageOf(ITEMS, 'v1', { limit: 2, cursor: second.nextCursor! });
    expect(last.items.map((i) => i.key)).to.deep.equal(['DOC']);
    expect(last).not.to.have.property('nextCursor');
  });

  it('a cursor from another listing version is refused: invalid_cursor', () => {
    const { nextCursor } = pageOf(ITEMS, 'v1', { limit: 2 });
    expect(codeOf(() => pageOf(ITEMS, 'v2', { limit: 2, cursor: nextCursor! }))).to.equal('invalid_cursor');
  });

  it('a cursor from another search is refused: invalid_cursor', () => {
    const { nextCursor } = pageOf(ITEMS, 'v1', { q: 'o', limit: 1 });
    expect(codeOf(() => pageOf(ITEMS, 'v1', { q: 'a', limit: 1, cursor: nextCursor! }))).to.equal('invalid_cursor');
    expect(codeOf(() => pageOf(ITEMS, 'v1', { limit: 1, cursor: nextCursor! }))).to.equal('invalid_cursor');
    // The same search, written with other case or accents, is the same search.
    expect(codeOf(() => pageOf(ITEMS, 'v1', { q: 'O', limit: 1, cursor: nextCursor! }))).to.equal(undefined);
  });

  it('any string that is not a cursor it issued is refused with invalid_cursor, never another error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (cursor) => {
        const code = codeOf(() => pageOf(ITEMS, 'v1', { cursor }));
        return code === 'invalid_cursor';
      }),
      { numRuns: 500, seed: 12 },
    );
  });

  it('paging through any listing with any limit yields exactly the matches, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.string({ maxLength: 5 }), name: fc.string({ maxLength: 8 }) }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.string({ maxLength: 2 }),
        (items, limit, q) => {
          const all = pageOf(items, 'v', { q });
          const seen: unknown[] = [];
          let page = pageOf(items, 'v', { q, limit });
          seen.push(...page.items);
          while (page.nextCursor !== undefined) {
            expect(page.items).to.have.length(limit);
            page = pageOf(items, 'v', { q, limit, cursor: page.nextCursor });
            seen.push(...page.items);
          }
          expect(seen).to.deep.equal(all.items);
          expect(page.total).to.equal(all.items.length);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('foldText drops accents and case (NFD, combining marks removed)', () => {
    expect(foldText('ÉQUIPE Ångström ñ')).to.equal('equipe angstrom n');
  });
});
