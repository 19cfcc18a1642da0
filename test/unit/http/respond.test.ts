import { expect } from 'chai';
import type { Context } from 'koa';
import { respond } from '../../../src/http/respond.js';
import { HealthResponse, ProjectsResponse } from '../../../src/http/schemas.js';
import { projectsBody } from '../../../src/http/wire.js';

// The proof is mostly at compile time: `npm test` runs tsc over the tests, and each `@ts-expect-error` below
// fails the typecheck if the shape it marks were accepted.
describe('respond (a route body typed from its response schema)', () => {
  const ctx = () => ({ body: undefined }) as unknown as Context;

  it('sends a body of the schema shape as it is, without parsing it', () => {
    const c = ctx();
    const body = { status: 'ok' as const, version: '1.2.3' };
    respond(c, HealthResponse, body);
    expect(c.body).to.equal(body);
  });

  it('refuses at compile time a missing field, a field of the wrong type and a field the schema lacks', () => {
    const c = ctx();
    // @ts-expect-error version is required by HealthResponse
    respond(c, HealthResponse, { status: 'ok' });
    // @ts-expect-error status is the literal 'ok'
    respond(c, HealthResponse, { status: 'fine', version: '1' });
    // @ts-expect-error the wire name is avatar_url; avatarUrl is the domain's
    respond(c, ProjectsResponse, { projects: [{ id: '1', key: 'K', name: 'n', avatarUrl: 'https://x' }], total: 1 });
    expect(c.body).to.not.equal(undefined);
  });

  it('maps the domain project to its wire shape: avatarUrl leaves as avatar_url', () => {
    const body = projectsBody({ projects: [{ id: '1', key: 'K', name: 'Kay', avatarUrl: 'https://a.example/48' }], total: 1 });
    expect(body).to.deep.equal({
      projects: [{ id: '1', key: 'K', name: 'Kay', type: undefined, style: undefined, avatar_url: 'https://a.example/48', url: undefined }],
      total: 1,
    });
    expect(JSON.parse(JSON.stringify(body))).to.deep.equal({ projects: [{ id: '1', key: 'K', name: 'Kay', avatar_url: 'https://a.example/48' }], total: 1 });
  });
});
