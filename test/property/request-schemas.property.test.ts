import { expect } from 'chai';
import fc from 'fast-check';
import querystring from 'node:querystring';
import { AppError } from '../../src/domain/errors.js';
import { ApiTokenLoginBody, OAuthCallbackQuery, OAuthStartQuery } from '../../src/http/schemas.js';
import { validate } from '../../src/http/validate.js';

const RUNS = { numRuns: 1500, seed: 20_063 } as const;
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

type Schema = typeof ApiTokenLoginBody | typeof OAuthCallbackQuery | typeof OAuthStartQuery;

/**
 * Runs validate and reports how it ended. Parsing or a validation_error are the only allowed endings: anything
 * else (a TypeError, a RangeError, another code) would reach the client as a 500.
 */
function attempt(schema: Schema, input: unknown, where: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: AppError } {
  try {
    return { ok: true, value: validate(schema, input, where) as Record<string, unknown> };
  } catch (thrown) {
    if (!(thrown instanceof AppError)) throw new Error(`validate threw a non-AppError for ${safeShow(input)}: ${String(thrown)}`);
    return { ok: false, error: thrown };
  }
}

function safeShow(value: unknown): string {
  try {
    return fc.stringify(value).slice(0, 300);
  } catch {
    return '<unprintable>';
  }
}

function expectValidationError(error: AppError, where: string): void {
  expect(error.code).to.equal('validation_error');
  expect(error.message.startsWith(`Invalid ${where}: `), error.message).to.equal(true);
  const fields = error.details?.['fields'] as { field: unknown; message: unknown }[] | undefined;
  expect(fields).to.be.an('array').that.is.not.empty;
  for (const field of fields!) {
    expect(field.field).to.be.a('string').and.not.equal('');
    expect(field.message).to.be.a('string').and.not.equal('');
  }
}

function expectPrototypeUntouched(): void {
  expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).to.deep.equal(PROTOTYPE_KEYS);
}

/** Addresses zod's email check accepts (its pattern, generated rather than matched). */
const email = fc
  .tuple(
    fc.stringMatching(/^(?:[A-Za-z0-9_'+-]{1,8}\.){0,2}[A-Za-z0-9_'+-]{0,8}[A-Za-z0-9_+-]$/),
    fc.stringMatching(/^(?:[A-Za-z0-9][A-Za-z0-9-]{0,10}\.){1,3}[A-Za-z]{2,6}$/),
  )
  .map(([local, domain]) => `${local}@${domain}`);
const whitespace = fc.constantFrom('', ' ', '\t', '\n ', '  ');
const apiToken = fc.oneof(
  fc.string({ minLength: 1, maxLength: 2048 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1000 }),
  fc.constantFrom('x', 'ATATT3xFfGF0' + 'a'.repeat(180), 'a'.repeat(2048)),
);
const site = fc.string({ maxLength: 300 }).filter((value) => value.length <= 300);

/** JSON texts with the keys prototype pollution attacks use, parsed the way the body parser parses them. */
const pollutingJson = fc
  .tuple(
    fc.constantFrom(
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"__proto__":{"email":"a@b.co"},"api_token":"x"}',
      '{"email":{"__proto__":{"polluted":1}},"api_token":"x"}',
      '{"email":"ada@example.com","api_token":"x","site":"acme","__proto__":{"polluted":1,"toString":1}}',
      '{"email":"ada@example.com","api_token":"x","constructor":{"prototype":{"polluted":1}}}',
      '{"__proto__":null}',
      '{"__proto__":[]}',
      '{"code":"c","state":"s","__proto__":{"polluted":"yes"}}',
      '{"site":"acme","constructor":{"name":"x","prototype":{"polluted":1}}}',
    ),
  )
  .map(([text]) => JSON.parse(text) as unknown);

/** Anything at all, including objects without a prototype, boxed values, maps and sparse arrays. */
const anything = fc.anything({
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withDate: true,
  withBigInt: true,
  key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'email', 'api_token', 'site', 'code', 'state', 'error')),
});

const bodyLike = fc.oneof(
  anything,
  pollutingJson,
  fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown),
  fc.record(
    {
      email: fc.oneof(email, fc.string(), anything, fc.string({ minLength: 250, maxLength: 300 }).map((s) => `${s}@x.co`)),
      api_token: fc.oneof(apiToken, fc.constant(''), fc.string({ minLength: 2049, maxLength: 2100 }), anything),
      site: fc.oneof(site, fc.string({ minLength: 301, maxLength: 320 }), anything),
    },
    { requiredKeys: [] },
  ),
);

const queryLike = fc.oneof(
  anything,
  pollutingJson,
  fc.dictionary(
    fc.oneof(fc.constantFrom('code', 'state', 'error', 'error_description', 'site', '__proto__', 'constructor'), fc.string()),
    fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.string({ minLength: 4090, maxLength: 4100 })),
  ),
  // What Koa hands the route: node:querystring's parse of the raw query string (an object without prototype).
  fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom('code', 'state', 'error', 'error_description', 'site', '__proto__', 'constructor[prototype][polluted]', '__proto__[polluted]'), fc.string()),
      fc.string({ unit: 'binary', maxLength: 40 }),
    ),
    { maxLength: 6 },
  ).map((pairs) => querystring.parse(pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')) as unknown),
);

describe('property: request schemas through validate()', () => {
  afterEach(expectPrototypeUntouched);

  describe('ApiTokenLoginBody', () => {
    it('for ANY input: parses, or throws AppError validation_error naming fields, and never anything else', () => {
      fc.assert(
        fc.property(bodyLike, (input) => {
          const result = attempt(ApiTokenLoginBody, input, 'request body');
          if (result.ok) {
            expect(Object.keys(result.value).every((key) => ['email', 'api_token', 'site'].includes(key))).to.equal(true);
            expect(result.value['email']).to.be.a('string');
            expect(result.value['api_token']).to.be.a('string');
          } else {
            expectValidationError(result.error, 'request body');
          }
          expectPrototypeUntouched();
        }),
        { ...RUNS, numRuns: 3000 },
      );
    });

    it('valid inputs parse: a zod-valid email (with whitespace around), a 1–2048 character token, an optional site of ≤ 300', () => {
      fc.assert(
        fc.property(email, whitespace, whitespace, apiToken, fc.option(site, { nil: undefined }), (address, before, after, token, where) => {
          const input = { email: `${before}${address}${after}`, api_token: token, ...(where === undefined ? {} : { site: where }) };
          const result = attempt(ApiTokenLoginBody, input, 'request body');
          expect(result.ok, result.ok ? '' : result.error.message).to.equal(true);
          if (result.ok) {
            expect(result.value['email']).to.equal(address);
            expect(result.value['api_token']).to.equal(token);
            expect(result.value['site']).to.equal(where);
          }
        }),
        RUNS,
      );
    });

    it('unknown keys, __proto__ and constructor included, are dropped and pollute nothing', () => {
      fc.assert(
        fc.property(email, apiToken, pollutingJson, (address, token, extra) => {
          const input = Object.assign(JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}') as object, extra, {
            email: address,
            api_token: token,
          });
          const result = attempt(ApiTokenLoginBody, input, 'request body');
          expect(result.ok).to.equal(true);
          if (result.ok) {
            expect(Object.keys(result.value).every((key) => ['api_token', 'email', 'site'].includes(key))).to.equal(true);
            expect(result.value['email']).to.equal(address);
            expect(Object.getPrototypeOf(result.value)).to.equal(Object.prototype);
            expect(result.value['polluted']).to.equal(undefined);
          }
        }),
        { ...RUNS, numRuns: 300 },
      );
    });

    it('refuses an empty or over-long token, an over-long site and a non-string field with validation_error', () => {
      fc.assert(
        fc.property(
          email,
          fc.oneof(
            fc.record({ api_token: fc.constant('') }),
            fc.record({ api_token: fc.string({ minLength: 2049, maxLength: 2200 }) }),
            fc.record({ api_token: fc.constant('t'), site: fc.string({ minLength: 301, maxLength: 400 }) }),
            fc.record({ api_token: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())) }),
          ),
          (address, rest) => {
            const result = attempt(ApiTokenLoginBody, { email: address, ...rest }, 'request body');
            expect(result.ok).to.equal(false);
            if (!result.ok) expectValidationError(result.error, 'request body');
          },
        ),
        RUNS,
      );
    });
  });

  describe('OAuthCallbackQuery', () => {
    it('for ANY input: parses, or throws AppError validation_error, and never anything else', () => {
      fc.assert(
        fc.property(queryLike, (input) => {
          const result = attempt(OAuthCallbackQuery, input, 'query');
          if (result.ok) {
            for (const key of Object.keys(result.value)) expect(['code', 'state', 'error', 'error_description']).to.include(key);
          } else {
            expectValidationError(result.error, 'query');
          }
          expectPrototypeUntouched();
        }),
        { ...RUNS, numRuns: 3000 },
      );
    });

    it('valid inputs parse: each parameter once, at most 4096 characters, whatever other parameters come along', () => {
      const param = fc.option(fc.string({ maxLength: 4096 }).filter((value) => value.length <= 4096), { nil: undefined });
      fc.assert(
        fc.property(param, param, param, param, fc.dictionary(fc.string().filter((k) => !['code', 'state', 'error', 'error_description'].includes(k)), fc.string()), (code, state, error, description, extra) => {
          const values = { code, state, error, error_description: description };
          const query = { ...extra, ...Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) };
          const result = attempt(OAuthCallbackQuery, query, 'query');
          expect(result.ok, result.ok ? '' : result.error.message).to.equal(true);
          if (result.ok) {
            for (const [key, value] of Object.entries(values)) expect(result.value[key]).to.equal(value);
          }
        }),
        RUNS,
      );
    });

    it('a repeated parameter (an array from the query string) is a validation_error', () => {
      fc.assert(
        fc.property(fc.constantFrom('code', 'state', 'error', 'error_description'), fc.string(), fc.string(), (key, a, b) => {
          const query = querystring.parse(`${key}=${encodeURIComponent(a)}&${key}=${encodeURIComponent(b)}`);
          const result = attempt(OAuthCallbackQuery, query, 'query');
          expect(result.ok).to.equal(false);
          if (!result.ok) expectValidationError(result.error, 'query');
        }),
        { ...RUNS, numRuns: 300 },
      );
    });
  });

  describe('OAuthStartQuery', () => {
    it('for ANY input: parses, or throws AppError validation_error, and never anything else', () => {
      fc.assert(
        fc.property(queryLike, (input) => {
          const result = attempt(OAuthStartQuery, input, 'query');
          if (result.ok) {
            for (const key of Object.keys(result.value)) expect(key).to.equal('site');
          } else {
            expectValidationError(result.error, 'query');
          }
          expectPrototypeUntouched();
        }),
        { ...RUNS, numRuns: 3000 },
      );
    });

    it('valid inputs parse: no site, or one site of at most 300 characters', () => {
      fc.assert(
        fc.property(fc.option(site, { nil: undefined }), (where) => {
          const query = querystring.parse(where === undefined ? '' : `site=${encodeURIComponent(where)}`);
          const result = attempt(OAuthStartQuery, query, 'query');
          expect(result.ok, result.ok ? '' : result.error.message).to.equal(true);
          if (result.ok) expect(result.value['site']).to.equal(where);
        }),
        RUNS,
      );
    });

    it('refuses a site over 300 characters or given twice', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ minLength: 301, maxLength: 400 }).map((s) => `site=${encodeURIComponent(s)}`), fc.constant('site=a&site=b')), (raw) => {
          const result = attempt(OAuthStartQuery, querystring.parse(raw), 'query');
          expect(result.ok).to.equal(false);
          if (!result.ok) expectValidationError(result.error, 'query');
        }),
        { ...RUNS, numRuns: 300 },
      );
    });
  });
});
