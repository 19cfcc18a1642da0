import { expect } from 'chai';
import { STATUS_OF } from '../../../src/http/error-answers.js';
import { expectMatchesOpenApi, expectUndocumentedPathAnswer, openApiDocument, routeTemplateOf } from '../../support/openapi-check.js';

type Responses = Record<string, { headers?: Record<string, unknown>; content?: Record<string, { examples?: Record<string, { value: { error: { code: string } } }> }> }>;
const operations = Object.entries(openApiDocument.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ path, method, op: op as unknown as { operationId?: string; security?: unknown[]; responses: Responses } })),
);
const PUBLIC = ['/', '/health/live', '/health/ready', '/metrics', '/auth/{product}/oauth/callback', '/auth/oauth/callback'];
const STORELESS = ['/', '/health/live', '/health/ready', '/metrics'];

describe('the OpenAPI document', () => {
  it('gives every operation a unique operationId', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id !== ''), JSON.stringify(ids)).to.equal(true);
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('marks the public operations `security: []`', () => {
    for (const { path, method, op } of operations.filter((o) => PUBLIC.includes(o.path))) {
      expect(op.security, `${method} ${path}`).to.deep.equal([]);
    }
  });

  it('declares 503 store_unavailable on every operation that reads or writes a session', () => {
    for (const { path, method, op } of operations.filter((o) => !STORELESS.includes(o.path))) {
      const codes = Object.keys(op.responses['503']?.content?.['application/json']?.examples ?? {});
      expect(codes, `${method} ${path}`).to.include('store_unavailable');
    }
  });

  it('declares Retry-After on every 429 and 503, and one example per error code, under the status of that code', () => {
    for (const { path, method, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (status === '429' || status === '503') expect(response.headers, `${method} ${path} ${status}`).to.have.property('Retry-After');
        if (Number(status) < 400) continue;
        const examples = Object.entries(response.content?.['application/json']?.examples ?? {});
        expect(examples, `${method} ${path} ${status}`).not.to.be.empty;
        for (const [name, example] of examples) {
          expect(example.value.error.code, `${method} ${path} ${status}`).to.equal(name);
          expect(String(STATUS_OF[name as keyof typeof STATUS_OF]), `${name} under ${status}`).to.equal(status);
        }
      }
    }
  });

  it('documents /metrics as text/plain, and the 404 and 405 answers to no operation', () => {
    const metrics = openApiDocument.paths['/metrics']?.['get']?.responses['200'];
    expect(metrics?.content).to.have.property('text/plain');
    expect(openApiDocument.components.responses).to.have.keys('MethodNotAllowed', 'NotFound');
  });
});

describe('expectMatchesOpenApi (the check every integration answer goes through)', () => {
  const project = { id: '1', key: 'K', name: 'Kay' };

  it('accepts an answer the document describes', () => {
    expectMatchesOpenApi('GET', '/jira/projects', 200, { projects: [project], total: 1 });
    expectMatchesOpenApi('GET', '/jira/projects', 503, { error: { code: 'store_unavailable', message: 'down' } });
  });

  it('refuses a field the document does not list, a missing field, an undeclared status and a code not declared for the status', () => {
    expect(() => expectMatchesOpenApi('GET', '/jira/projects', 200, { projects: [{ ...project, avatarUrl: 'x' }], total: 1 })).to.throw(/additional/);
    expect(() => expectMatchesOpenApi('GET', '/jira/projects', 200, { projects: [project] })).to.throw(/total/);
    expect(() => expectMatchesOpenApi('GET', '/', 503, { error: { code: 'store_unavailable', message: 'down' } })).to.throw(/not declared/);
    expect(() => expectMatchesOpenApi('GET', '/jira/projects', 401, { error: { code: 'invalid_credentials', message: 'no' } })).to.throw(/not among/);
  });

  it('maps a request to its route template, the literal path before the templated one', () => {
    expect(routeTemplateOf('DELETE', '/auth/session')).to.deep.equal({ template: '/auth/session', hasMethod: true });
    expect(routeTemplateOf('DELETE', '/auth/jira')).to.deep.equal({ template: '/auth/{product}', hasMethod: true });
    expect(routeTemplateOf('PUT', '/jira/projects')).to.deep.equal({ template: '/jira/projects', hasMethod: false });
    expect(routeTemplateOf('GET', '/nowhere')).to.equal(undefined);
  });

  it('checks answers to no operation against the declared 404 and 405 answers', () => {
    expectUndocumentedPathAnswer('PUT /jira/projects', 405, { error: { code: 'method_not_allowed', message: 'no' } });
    expect(() => expectUndocumentedPathAnswer('GET /nowhere', 404, { error: { code: 'internal_error', message: 'x' } })).to.throw(/not among/);
  });
});
