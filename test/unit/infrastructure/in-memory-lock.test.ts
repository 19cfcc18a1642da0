import { expect } from 'chai';
import { InMemoryLock } from '../../../src/infrastructure/lock/in-memory-lock.js';
import { FixedClock } from '../../support/port-fakes.js';

const TTL_MS = 5_000;

function makeSut() {
  const clock = new FixedClock();
  return { sut: new InMemoryLock(clock), clock };
}

describe('InMemoryLock', () => {
  it('grants a free lease', async () => {
    const { sut } = makeSut();

    expect(await sut.tryAcquire('refresh:s:jira', TTL_MS)).to.be.a('function');
  });

  it('refuses a second lease while the first is held', async () => {
    const { sut, clock } = makeSut();
    await sut.tryAcquire('refresh:s:jira', TTL_MS);
    clock.advance(TTL_MS - 1);

    expect(await sut.tryAcquire('refresh:s:jira', TTL_MS)).to.equal(undefined);
  });

  it('keeps leases of different names apart', async () => {
    const { sut } = makeSut();
    await sut.tryAcquire('refresh:s:jira', TTL_MS);

    expect(await sut.tryAcquire('refresh:s:confluence', TTL_MS)).to.be.a('function');
  });

  it('grants the lease again after release', async () => {
    const { sut } = makeSut();
    const release = await sut.tryAcquire('refresh:s:jira', TTL_MS);
    await release?.();

    expect(await sut.tryAcquire('refresh:s:jira', TTL_MS)).to.be.a('function');
  });

  it('grants the lease again once its ttl has passed, without a release', async () => {
    const { sut, clock } = makeSut();
    await sut.tryAcquire('refresh:s:jira', TTL_MS);
    clock.advance(TTL_MS);

    expect(await sut.tryAcquire('refresh:s:jira', TTL_MS)).to.be.a('function');
  });

  it('does not let a stale release end the lease of the next holder', async () => {
    const { sut, clock } = makeSut();
    const staleRelease = await sut.tryAcquire('refresh:s:jira', TTL_MS);
    clock.advance(TTL_MS);
    const next = await sut.tryAcquire('refresh:s:jira', TTL_MS);
    expect(next).to.be.a('function');

    await staleRelease?.();

    expect(await sut.tryAcquire('refresh:s:jira', TTL_MS)).to.equal(undefined);
  });

  it('tolerates a second release', async () => {
    const { sut } = makeSut();
    const release = await sut.tryAcquire('refresh:s:jira', TTL_MS);
    await release?.();
    const next = await sut.tryAcquire('refresh:s:jira', TTL_MS);

    await release?.();

    expect(next).to.be.a('function');
    expect(await sut.tryAcquire('refresh:s:jira', TTL_MS)).to.equal(undefined);
  });
});
