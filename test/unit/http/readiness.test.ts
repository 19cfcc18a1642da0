import { expect } from 'chai';
import sinon from 'sinon';
import { Readiness } from '../../../src/http/readiness.js';

describe('Readiness', () => {
  afterEach(() => sinon.restore());

  it('is ready when every check resolves', async () => {
    const readiness = new Readiness({ store: async () => 'PONG', other: async () => undefined });
    expect(await readiness.failing()).to.deep.equal([]);
  });

  it('names every check that rejects', async () => {
    const readiness = new Readiness({ store: async () => Promise.reject(new Error('down')), other: async () => undefined });
    expect(await readiness.failing()).to.deep.equal(['store']);
  });

  it('counts a check that does not answer within the bound as failed, without waiting for it', async () => {
    const clock = sinon.useFakeTimers();
    const readiness = new Readiness({ store: () => new Promise(() => {}) }, 1_000);
    const answer = readiness.failing();
    await clock.tickAsync(999);
    let settled = false;
    void answer.then(() => (settled = true));
    await Promise.resolve();
    expect(settled, 'decided before the bound').to.equal(false);
    await clock.tickAsync(1);
    expect(await answer).to.deep.equal(['store']);
  });

  it('reports draining from the moment drain() is called, even when every check passes', async () => {
    const readiness = new Readiness({ store: async () => 'PONG' });
    readiness.drain();
    expect(await readiness.failing()).to.deep.equal(['draining']);
  });
});
