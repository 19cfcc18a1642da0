import { expect } from 'chai';
import fc from 'fast-check';
import { isWellFormedSessionToken, sessionIdOf } from '../../src/domain/session-token.js';
import { CryptoTokenGenerator } from '../../src/infrastructure/crypto-token-generator.js';

const RUNS = { numRuns: 2000, seed: 20_062 } as const;
const BASE64URL = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');

/** An oracle written differently from the implementation's regular expression. */
function oracle(token: string): boolean {
  return token.length === 43 && [...token].every((char) => BASE64URL.has(char));
}

const tokenBytes = fc.uint8Array({ minLength: 32, maxLength: 32 });
const anyHeaderValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ minLength: 40, maxLength: 46, unit: fc.constantFrom(...'Aa0-_+/= .\n\u0000é'.split('')) }),
  tokenBytes.map((bytes) => Buffer.from(bytes).toString('base64')),
  tokenBytes.map((bytes) => ` ${Buffer.from(bytes).toString('base64url')}`),
  fc.string({ minLength: 1000, maxLength: 12_000, unit: fc.constantFrom('A', 'b', '-') }),
);

describe('property: session tokens', () => {
  it('any 32 bytes written as base64url (no padding) are a well-formed token', () => {
    fc.assert(
      fc.property(tokenBytes, (bytes) => {
        expect(isWellFormedSessionToken(Buffer.from(bytes).toString('base64url'))).to.equal(true);
      }),
      RUNS,
    );
  });

  it('for ANY string, isWellFormedSessionToken agrees with "43 base64url characters" and never throws', () => {
    fc.assert(
      fc.property(anyHeaderValue, (value) => {
        expect(isWellFormedSessionToken(value), JSON.stringify(value.slice(0, 60))).to.equal(oracle(value));
      }),
      { ...RUNS, numRuns: 3000 },
    );
  });

  it('sessionIdOf is deterministic, a 43-character base64url SHA-256, and never the token itself', () => {
    fc.assert(
      fc.property(fc.oneof(tokenBytes.map((bytes) => Buffer.from(bytes).toString('base64url')), anyHeaderValue), (token) => {
        const id = sessionIdOf(token);
        expect(id).to.equal(sessionIdOf(token));
        expect(id).to.match(/^[A-Za-z0-9_-]{43}$/);
        expect(id).not.to.equal(token);
      }),
      RUNS,
    );
  });

  it('sessionIdOf keeps distinct tokens apart', () => {
    fc.assert(
      fc.property(fc.uniqueArray(tokenBytes.map((bytes) => Buffer.from(bytes).toString('base64url')), { minLength: 2, maxLength: 50 }), (tokens) => {
        expect(new Set(tokens.map(sessionIdOf)).size).to.equal(tokens.length);
      }),
      { ...RUNS, numRuns: 200 },
    );
  });

  it('every token and state the service generates is well formed (and they do not repeat)', () => {
    const generator = new CryptoTokenGenerator();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      for (const token of [generator.sessionToken(), generator.oauthState()]) {
        expect(isWellFormedSessionToken(token), token).to.equal(true);
        expect(seen.has(token)).to.equal(false);
        seen.add(token);
      }
    }
  });
});
