import { expect } from 'chai';
import fetch from 'node-fetch';
import { call, startHarness, type Harness } from '../support/harness.js';

/** Every operation of the contract: path → method. */
const OPERATIONS: [string, string][] = [
  ['/', 'get'],
  ['/auth/{product}/oauth/start', 'get'],
  ['/auth/{product}/oauth/callback', 'get'],
  ['/auth/oauth/complete', 'post'],
  ['/auth/{product}/api-token', 'post'],
  ['/jira/projects', 'get'],
  ['/confluence/spaces', 'get'],
];

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, {
    security?: Record<string, string[]>[];
    parameters?: { name: string; in: string }[];
    responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
  }>>;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, Record<string, unknown>> };
}

/** The component a `$ref` names, or the inline schema. */
function resolve(doc: OpenApiDoc, schema: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const ref = schema?.['$ref'];
  if (typeof ref === 'string') return doc.components.schemas[ref.replace('#/components/schemas/', '')];
  return schema;
}

function isErrorSchema(doc: OpenApiDoc, schema: Record<string, unknown> | undefined): boolean {
  const resolved = resolve(doc, schema) as { properties?: { error?: Record<string, unknown> } } | undefined;
  const error = resolve(doc, resolved?.properties?.error) as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  return error?.properties?.['code'] !== undefined && error.properties['message'] !== undefined;
}

describe('API documentation', () => {
  let h: Harness;
  let doc: OpenApiDoc;
  before(async () => {
    h = await startHarness();
    const res = await call(h.url('/openapi.json'));
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type') ?? '').to.match(/^application\/json/);
    doc = res.body as OpenApiDoc;
  });
  after(async () => { await h.close(); });

  it('GET /openapi.json is an OpenAPI 3 document', () => {
    expect(doc.openapi).to.match(/^3\.\d+\.\d+$/);
    expect(doc.info.title).to.be.a('string').and.not.equal('');
    expect(doc.info.version).to.be.a('string').and.not.equal('');
  });

  it('documents q, limit and cursor on both listings, and their Age and X-Listing-Stale headers', () => {
    for (const path of ['/jira/projects', '/confluence/spaces']) {
      const operation = doc.paths[path]!['get']!;
      const query = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      expect(query, path).to.include.members(['q', 'limit', 'cursor']);
      const headers = (operation.responses['200'] as { headers?: Record<string, unknown> }).headers ?? {};
      expect(Object.keys(headers), path).to.include.members(['ETag', 'Age', 'X-Listing-Stale']);
    }
  });

  it('lists every path and method of the contract', () => {
    for (const [path, method] of OPERATIONS) {
      expect(doc.paths, path).to.have.property(path);
      expect(doc.paths[path], `${method.toUpperCase()} ${path}`).to.have.property(method);
    }
    const productParam = doc.paths['/auth/{product}/api-token']!['post']!.parameters?.find((p) => p.name === 'product');
    expect(productParam?.in).to.equal('path');
  });

  it('declares the X-Session-Token apiKey security scheme, required by the listings', () => {
    const schemes = Object.entries(doc.components.securitySchemes);
    const session = schemes.find(([, s]) => s['type'] === 'apiKey' && s['in'] === 'header' && s['name'] === 'X-Session-Token');
    expect(session, JSON.stringify(doc.components.securitySchemes)).not.to.equal(undefined);
    const name = session![0];
    for (const path of ['/jira/projects', '/confluence/spaces']) {
      const security = doc.paths[path]!['get']!.security ?? [];
      expect(security.some((s) => name in s), path).to.equal(true);
    }
  });

  it('describes the error schema {"error":{"code","message"}} and uses it for error responses', () => {
    expect(Object.values(doc.components.schemas).some((s) => isErrorSchema(doc, s))).to.equal(true);
    const listingErrors = ['401', '403', '429', '502', '504'];
    for (const path of ['/jira/projects', '/confluence/spaces']) {
      const responses = doc.paths[path]!['get']!.responses;
      expect(Object.keys(responses), path).to.include.members(['200', ...listingErrors]);
      for (const status of listingErrors) {
        expect(isErrorSchema(doc, responses[status]!.content?.['application/json']?.schema), `${path} ${status}`).to.equal(true);
      }
    }
    const callback = doc.paths['/auth/{product}/oauth/callback']!['get']!.responses;
    expect(Object.keys(callback)).to.include.members(['200', '400', '502']);
    const login = doc.paths['/auth/{product}/api-token']!['post']!.responses;
    expect(Object.keys(login)).to.include.members(['200', '400', '401']);
    expect(isErrorSchema(doc, login['401']!.content?.['application/json']?.schema)).to.equal(true);
    const start = doc.paths['/auth/{product}/oauth/start']!['get']!.responses;
    expect(Object.keys(start)).to.include.members(['200', '503']);
  });

  it('documents the completion step: its body, its answer, and 400/401/403 in the error schema', () => {
    const complete = doc.paths['/auth/oauth/complete']!['post']! as OpenApiDoc['paths'][string][string] & {
      requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
    };
    const body = resolve(doc, complete.requestBody?.content?.['application/json']?.schema) as { properties?: Record<string, unknown>; required?: string[] };
    expect(body.required).to.deep.equal(['completion']);
    const ok = resolve(doc, complete.responses['200']!.content?.['application/json']?.schema) as { properties?: Record<string, unknown> };
    expect(Object.keys(ok.properties ?? {})).to.include.members(['session_token', 'product', 'site', 'sites']);
    for (const status of ['400', '401', '403']) {
      expect(isErrorSchema(doc, complete.responses[status]!.content?.['application/json']?.schema), status).to.equal(true);
    }
    expect(JSON.stringify(complete.responses['400'])).to.include('invalid_completion');
    expect(JSON.stringify(complete.responses['403'])).to.include('completion_session_mismatch');
  });

  it('GET /docs is an HTML page whose local swagger-ui assets all answer 200', async () => {
    const res = await call(h.url('/docs'));
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type') ?? '').to.match(/^text\/html/);
    const html = String(res.body);
    expect(html).to.match(/<html/i);
    expect(html).to.include('/openapi.json');
    const assets = [...new Set([...html.matchAll(/\/docs-assets\/local\/[^"'\s)>]+/g)].map((m) => m[0]))];
    expect(assets, 'swagger-ui assets referenced by /docs').to.have.length.at.least(2);
    for (const asset of assets) {
      const answer = await fetch(h.url(asset));
      const body = await answer.text();
      expect(answer.status, asset).to.equal(200);
      if (/\.(?:js|css)$/.test(asset)) expect(body.length, asset).to.be.above(1000);
    }
  });

  it('GET /docs loads nothing from outside the service: no external URL in the page, no external host in its CSP', async () => {
    const res = await call(h.url('/docs'));
    const html = String(res.body);
    // XML namespace names of the inline SVG are identifiers, never fetched.
    const urls = [...html.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^"'\s)>]*/gi)].map((m) => m[0]).filter((u) => !/^http:\/\/www\.w3\.org\//.test(u));
    expect(urls, 'external URLs in /docs').to.deep.equal([]);
    expect(html).not.to.match(/fonts\.(googleapis|gstatic)\.com/);
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).to.include("default-src 'none'");
    const sources = policy.split(';').flatMap((directive) => directive.trim().split(/\s+/).slice(1));
    const external = sources.filter((source) => !/^'[^']+'$/.test(source) && source !== 'data:');
    expect(external, `external sources in the CSP: ${policy}`).to.deep.equal([]);
  });

  it('GET /docs serves its favicon: the icon the page links answers 200 image/png', async () => {
    const html = String((await call(h.url('/docs'))).body);
    const icon = /<link\b[^>]*rel="icon"[^>]*href="([^"]+)"/.exec(html)?.[1];
    expect(icon, 'a favicon link in /docs').to.be.a('string');
    const answer = await fetch(h.url(icon!));
    expect(answer.status, icon).to.equal(200);
    expect(answer.headers.get('content-type')).to.match(/^image\/png/);
    const bytes = Buffer.from(await answer.arrayBuffer());
    expect(bytes.subarray(1, 4).toString('latin1'), 'PNG signature').to.equal('PNG');
  });
});
