import { expect } from 'chai';
import sinon from 'sinon';
import { BackgroundRetries } from '../../../src/application/background-retries.js';

describe('BackgroundRetries', () => {
  let timers: sinon.SinonFakeTimers;
  beforeEach(() => {
    timers = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => timers.restore());

  it('attempts once after each delay until an attempt answers true', async () => {
    const retries = new BackgroundRetries([100, 200, 300]);
    const at: number[] = [];
    const giveUp = sinon.spy();

    retries.start('k', async () => (at.push(timers.now), at.length === 2), giveUp);
    await timers.tickAsync(10_000);

    expect(at).to.deep.equal([100, 300]);
    expect(giveUp.called).to.equal(false);
  });

  it('gives up after the last delay, a failed (rejected) attempt counting as not done', async () => {
    const retries = new BackgroundRetries([100, 100]);
    const attempt = sinon.stub().rejects(new Error('store down'));
    const giveUp = sinon.spy();

    retries.start('k', attempt, giveUp);
    await timers.tickAsync(10_000);

    expect(attempt.callCount).to.equal(2);
    expect(giveUp.calledOnce).to.equal(true);
  });

  it('runs one chain per key: a second start while one is pending or running is ignored', async () => {
    const retries = new BackgroundRetries([100, 100]);
    const first = sinon.stub().resolves(false);
    const second = sinon.stub().resolves(true);

    retries.start('k', first, () => undefined);
    retries.start('k', second, () => undefined);
    await timers.tickAsync(10_000);

    expect(first.callCount).to.equal(2);
    expect(second.called).to.equal(false);
  });

  it('cancel stops a chain, also while its attempt runs; no delays means no attempt', async () => {
    const retries = new BackgroundRetries([100, 100, 100]);
    const attempt = sinon.stub().callsFake(async () => {
      retries.cancel('k');
      return false;
    });

    retries.start('k', attempt, () => undefined);
    await timers.tickAsync(10_000);
    expect(attempt.callCount).to.equal(1);

    const none = sinon.stub().resolves(true);
    const giveUp = sinon.spy();
    new BackgroundRetries([]).start('k', none, giveUp);
    await timers.tickAsync(10_000);
    expect(none.called).to.equal(false);
    expect(giveUp.calledOnce).to.equal(true);
  });
});
