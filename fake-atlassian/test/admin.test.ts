import { expect } from 'chai';
import fetch from 'node-fetch';
import { FakeAtlassian } from '../index.js';

const basic = (email: string, token: string) => `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;

describe('fake Atlassian: admin endpoints (/__admin/…)', () => {
  const fake = new FakeAtlassian();
  before(() => fake.start());
  after(() => fake.stop());

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${fake.baseUrl}/__admin/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    });
  const search = () =>
    fetch(`${fake.siteUrl('acme.atlassian.net')}/rest/api/3/project/search`, { headers: { Authorization: basic('ada@example.com', 'tok-123') } });

  it('seeds sites and users, injects faults, and shows and clears the request log, without logging itself', async () => {
    const site = await admin('POST', 'sites', { host: 'acme.atlassian.net', projects: 3 });
    expect(site.status).to.equal(201);
    expect(await site.json()).to.have.property('cloudId').that.is.a('string');
    expect((await admin('POST', 'users', { email: 'ada@example.com', apiToken: 'tok-123', sites: ['acme.atlassian.net'] })).status).to.equal(201);

    const listed = await search();
    expect(listed.status).to.equal(200);
    expect(((await listed.json()) as { total: number }).total).to.equal(3);

    expect((await admin('POST', 'faults', { match: { path: '/project/search' }, status: 503 })).status).to.equal(204);
    expect((await search()).status).to.equal(503);
    expect((await search()).status, 'a fault answers once by default').to.equal(200);

    const log = (await (await admin('GET', 'requests')).json()) as { requests: { path: string; status: number }[] };
    expect(log.requests.map((request) => request.status)).to.deep.equal([200, 503, 200]);
    expect(log.requests.every((request) => !request.path.startsWith('/__admin/'))).to.equal(true);

    expect((await admin('DELETE', 'requests')).status).to.equal(204);
    expect(fake.requests).to.deep.equal([]);
  });

  it('answers 404 naming the README for an unknown admin endpoint, and 400 for a body that is not JSON', async () => {
    const unknown = await admin('GET', 'nothing-here');
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { message: string }).message).to.include('README');
    const bad = await fetch(`${fake.baseUrl}/__admin/faults`, { method: 'POST', body: '{not json' });
    expect(bad.status).to.equal(400);
  });
});
