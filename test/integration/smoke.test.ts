import { expect } from 'chai';
import { call, connectWithOAuth, connectWithToken, startHarness, type Harness } from '../support/harness.js';

describe('smoke: both flows end to end', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  it('OAuth then API token in one session lists 120 projects and 60 spaces', async () => {
    const jira = await connectWithOAuth(h, 'jira');
    expect(jira.callback.status, JSON.stringify(jira.callback.body)).to.equal(200);
    const conf = await connectWithToken(h, 'confluence', undefined, jira.sessionToken);
    expect(conf.status, JSON.stringify(conf.body)).to.equal(200);
    expect(conf.body.session_token).to.equal(jira.sessionToken);
    const projects = await call(h.url('/jira/projects'), { headers: { 'X-Session-Token': jira.sessionToken } });
    expect(projects.status, JSON.stringify(projects.body)).to.equal(200);
    expect(projects.body.total).to.equal(120);
    const spaces = await call(h.url('/confluence/spaces'), { headers: { 'X-Session-Token': jira.sessionToken } });
    expect(spaces.status, JSON.stringify(spaces.body)).to.equal(200);
    expect(spaces.body.total).to.equal(60);
  });
});
