import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { isWellFormedSessionToken, sessionIdOf, stateIdOf } from '../../../src/domain/session-token.js';

describe('session tokens', () => {
  const token = randomBytes(32).toString('base64url');

  describe('isWellFormedSessionToken', () => {
    it('accepts 32 random bytes written as base64url', () => {
      expect(token).to.have.length(43);
      expect(isWellFormedSessionToken(token)).to.equal(true);
    });

    it('accepts every base64url character', () => {
      expect(isWellFormedSessionToken(`${'A'.repeat(10)}${'z'.repeat(10)}${'0'.repeat(10)}${'-'.repeat(6)}${'_'.repeat(7)}`)).to.equal(true);
    });

    const malformed: readonly [string, string][] = [
      ['empty', ''],
      ['one character short', 'a'.repeat(42)],
      ['one character long', 'a'.repeat(44)],
      ['with base64 padding', `${'a'.repeat(42)}=`],
      ['with standard base64 characters', `${'a'.repeat(41)}+/`],
      ['with whitespace around it', ` ${'a'.repeat(43)}`],
      ['with a trailing newline', `${'a'.repeat(43)}\n`],
      ['with non-ASCII characters', `${'a'.repeat(42)}é`],
    ];
    for (const [why, value] of malformed) {
      it(`refuses a token ${why}`, () => {
        expect(isWellFormedSessionToken(value)).to.equal(false);
      });
    }
  });

  describe('sessionIdOf', () => {
    it('is stable for the same token', () => {
      expect(sessionIdOf(token)).to.equal(sessionIdOf(token));
    });

    it('differs from the token', () => {
      expect(sessionIdOf(token)).to.not.equal(token);
      expect(sessionIdOf(token)).to.not.include(token);
    });

    it('differs for different tokens', () => {
      const other = randomBytes(32).toString('base64url');
      expect(sessionIdOf(other)).to.not.equal(sessionIdOf(token));
    });

    it('is a SHA-256 digest in base64url', () => {
      expect(sessionIdOf(token)).to.match(/^[A-Za-z0-9_-]{43}$/);
    });

    it('hashes states the same way', () => {
      expect(stateIdOf(token)).to.equal(sessionIdOf(token));
    });
  });
});
