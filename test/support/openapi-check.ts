import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import { buildOpenApiDocument } from '../../src/http/openapi.js';
import { SERVICE_VERSION } from '../../src/version.js';

/*
 * Every JSON answer of the service, checked against the OpenAPI document of its route and status, so the
 * document cannot drift from the answers. `call()` and `rawRequest()` in harness.ts run the check on every answer
 * from a service started by the test support; a test may also call `expectMatchesOpenApi` itself.
 */

type Json = Record<string, unknown>;
interface Operation { responses: Record<string, { content?: Record<string, { schema?: Json; examples?: Record<string, { value?: unknown }> }> }> }
interface Document { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Json>; responses?: Record<string, Operation['responses'][string]> } }

/** The document GET /openapi.json serves (it depends on nothing but the version). */
export const openApiDocument = buildOpenApiDocument(SERVICE_VERSION) as unknown as Document;

const DOC_ID = 'openapi';
// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
ajv.addSchema({ $id: DOC_ID, components: { schemas: Object.fromEntries(Object.entries(openApiDocument.components.schemas).map(([k, v]) => [k, toJsonSchema(v)])) } });
const compiled = new Map<Json, ValidateFunction>();

/**
 * An OpenAPI 3.0 schema object as JSON Schema: `nullable` becomes a `null` type, `$ref`s point into the document,
 * and an object that lists its properties admits no others — an answer with an undocumented field is drift.
 */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) {
    if (key === 'example' || key === 'examples') continue;
    if (key === '$ref' && typeof value === 'string') out[key] = `${DOC_ID}${value}`;
    else if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toJsonSchema(v)]));
    else out[key] = toJsonSchema(value);
  }
  if (out['nullable'] === true) {
    delete out['nullable'];
    if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
    else return { anyOf: [out, { type: 'null' }] };
  }
  if (out['properties'] !== undefined && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

function validatorOf(schema: Json): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(toJsonSchema(schema) as Json);
    compiled.set(schema, validate);
  }
  return validate;
}

const templates = Object.keys(openApiDocument.paths).map((template) => ({
  template,
  params: (template.match(/\{/g) ?? []).length,
  pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/**
 * The document's template for this request: among the paths that match, one that has the method, the most literal
 * first (as the router reads `/auth/session` before `/auth/{product}`). `path` when it matches but lacks the method.
 */
export function routeTemplateOf(method: string, pathname: string): { template: string; hasMethod: boolean } | undefined {
  const matching = templates.filter((t) => t.pattern.test(pathname)).sort((a, b) => a.params - b.params);
  const withMethod = matching.find((t) => openApiDocument.paths[t.template]?.[method.toLowerCase()] !== undefined);
  if (withMethod !== undefined) return { template: withMethod.template, hasMethod: true };
  return matching[0] === undefined ? undefined : { template: matching[0].template, hasMethod: false };
}

/**
 * Asserts that `body` is what the document declares for `method routeTemplate` answering `status`: the status is
 * declared, the body matches its JSON schema, and an error's code is one of that status's examples.
 */
export function expectMatchesOpenApi(method: string, routeTemplate: string, status: number, body: unknown): void {
  const where = `${method.toUpperCase()} ${routeTemplate} → ${status}`;
  const operation = openApiDocument.paths[routeTemplate]?.[method.toLowerCase()];
  expect(operation, `${where}: no such operation in the OpenAPI document`).not.to.equal(undefined);
  const response = operation!.responses[String(status)];
  expect(response, `${where}: status not declared in the OpenAPI document (body ${JSON.stringify(body)})`).not.to.equal(undefined);
  expectMatchesResponse(where, response!, body);
}

/** Answers to no documented operation (404 for an unknown path, 405 for an unknown method): the declared error answer. */
export function expectUndocumentedPathAnswer(where: string, status: number, body: unknown): void {
  const response = status === 405 ? openApiDocument.components.responses?.['MethodNotAllowed'] : openApiDocument.components.responses?.['NotFound'];
  expect(response, `${where} → ${status}: no answer declared for it in components.responses`).not.to.equal(undefined);
  expectMatchesResponse(`${where} → ${status}`, response!, body);
}

function expectMatchesResponse(where: string, response: Operation['responses'][string], body: unknown): void {
  const media = response.content?.['application/json'];
  expect(media?.schema, `${where}: the document declares no JSON body`).not.to.equal(undefined);
  const validate = validatorOf(media!.schema!);
  expect(validate(body), `${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`).to.equal(true);
  const code = (body as { error?: { code?: unknown } }).error?.code;
  if (typeof code === 'string') {
    const codes = Object.values(media!.examples ?? {}).map((example) => (example.value as { error?: { code?: string } }).error?.code);
    expect(codes, `${where}: error code ${code} is not among the examples of this status`).to.include(code);
  }
}

// Base URLs of the services the test support started: only their answers are checked (not the fake Atlassian's).
const services = new Set<string>();
export function watchService(baseUrl: string): void { services.add(baseUrl); }
export function unwatchService(baseUrl: string): void { services.delete(baseUrl); }

/** Paths the service serves outside the API operations: the document itself and its UI. */
const DOCS_PATH = /^\/(?:openapi\.json|docs\/?|docs-assets\/.*)$/;

/** The check `call()` runs: a JSON answer from a watched service matches the document for its method, path and status. */
export function checkAnswer(method: string, url: string, status: number, contentType: string, body: unknown): void {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return; // a raw request path no URL parser takes: nothing to map to a route
  }
  if (!services.has(target.origin) || !/^application\/json/.test(contentType) || body === undefined || typeof body === 'string') return;
  if (DOCS_PATH.test(target.pathname) && status < 400) return;
  const route = routeTemplateOf(method, target.pathname);
  if (route?.hasMethod === true && method.toUpperCase() !== 'OPTIONS') {
    expectMatchesOpenApi(method, route.template, status, body);
  } else {
    expectUndocumentedPathAnswer(`${method.toUpperCase()} ${target.pathname}`, status, body);
  }
}
