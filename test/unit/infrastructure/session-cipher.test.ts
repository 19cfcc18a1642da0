import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { InvalidEncryptionKeyError, isValidEncryptionKey, SessionCipher } from '../../../src/infrastructure/session/session-cipher.js';

const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
const CONTEXT = 'session:abc';
const PLAINTEXT = JSON.stringify({ accessToken: 'secret-access-token', refreshToken: 'secret-refresh-token' });

/** The envelope with one of its base64url parts decoded, its first byte flipped, and encoded again. */
function tampered(envelope: string, part: number): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  expect(bytes.length, 'the part to tamper with is not empty').to.be.greaterThan(0);
  bytes[0] = bytes[0]! ^ 0x01; // non-null: length checked just above
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SessionCipher', () => {
  describe('encryption', () => {
    it('decrypts what it encrypted', () => {
      const cipher = new SessionCipher([OLD_KEY]);

      expect(cipher.decrypt(cipher.encrypt(PLAINTEXT, CONTEXT), CONTEXT)).to.equal(PLAINTEXT);
    });

    it('round-trips an empty string and non-ASCII text', () => {
      const cipher = new SessionCipher([OLD_KEY]);

      expect(cipher.decrypt(cipher.encrypt('', CONTEXT), CONTEXT)).to.equal('');
      expect(cipher.decrypt(cipher.encrypt('Zoë 🔐 日本', CONTEXT), CONTEXT)).to.equal('Zoë 🔐 日本');
    });

    it('answers a different envelope each time, none containing the plaintext', () => {
      const cipher = new SessionCipher([OLD_KEY]);

      const first = cipher.encrypt(PLAINTEXT, CONTEXT);
      const second = cipher.encrypt(PLAINTEXT, CONTEXT);

      expect(first).to.not.equal(second);
      for (const envelope of [first, second]) {
        expect(envelope).to.not.include('secret-access-token');
        expect(envelope).to.not.include(Buffer.from(PLAINTEXT).toString('base64url').slice(0, 16));
      }
    });

    it('writes a versioned envelope of five dot-separated parts', () => {
      const cipher = new SessionCipher([OLD_KEY]);

      const parts = cipher.encrypt(PLAINTEXT, CONTEXT).split('.');

      expect(parts).to.have.length(5);
      expect(parts[0]).to.equal('v1');
    });
  });

  describe('refusals', () => {
    it('answers undefined under another context', () => {
      const cipher = new SessionCipher([OLD_KEY]);

      expect(cipher.decrypt(cipher.encrypt(PLAINTEXT, CONTEXT), 'session:xyz')).to.equal(undefined);
    });

    it('answers undefined under a key it does not hold', () => {
      const envelope = new SessionCipher([OLD_KEY]).encrypt(PLAINTEXT, CONTEXT);

      expect(new SessionCipher([NEW_KEY]).decrypt(envelope, CONTEXT)).to.equal(undefined);
    });

    for (const [name, part] of [['iv', 2], ['body', 3], ['tag', 4]] as const) {
      it(`answers undefined for a tampered ${name}`, () => {
        const cipher = new SessionCipher([OLD_KEY]);
        const envelope = cipher.encrypt(PLAINTEXT, CONTEXT);

        expect(cipher.decrypt(tampered(envelope, part), CONTEXT)).to.equal(undefined);
      });
    }

    it('answers undefined for a truncated tag', () => {
      const cipher = new SessionCipher([OLD_KEY]);
      const parts = cipher.encrypt(PLAINTEXT, CONTEXT).split('.');
      parts[4] = Buffer.from(parts[4] ?? '', 'base64url').subarray(0, 4).toString('base64url');

      expect(cipher.decrypt(parts.join('.'), CONTEXT)).to.equal(undefined);
    });

    it('answers undefined for an envelope whose key id was changed', () => {
      const cipher = new SessionCipher([OLD_KEY]);
      const parts = cipher.encrypt(PLAINTEXT, CONTEXT).split('.');
      parts[1] = 'AAAAAAAA';

      expect(cipher.decrypt(parts.join('.'), CONTEXT)).to.equal(undefined);
    });

    it('answers undefined for an empty iv', () => {
      const cipher = new SessionCipher([OLD_KEY]);
      const parts = cipher.encrypt(PLAINTEXT, CONTEXT).split('.');
      parts[2] = '';

      expect(cipher.decrypt(parts.join('.'), CONTEXT)).to.equal(undefined);
    });

    it('answers undefined for malformed envelopes', () => {
      const cipher = new SessionCipher([OLD_KEY]);
      const valid = cipher.encrypt(PLAINTEXT, CONTEXT);
      const [, id, iv, body, tag] = valid.split('.');

      for (const envelope of [
        '',
        'v1',
        'v1.x',
        'v2.x.y.z.w',
        `v2.${id}.${iv}.${body}.${tag}`,
        `v1.${id}.${iv}.${body}`,
        `${valid}.extra`,
        `${valid}.`,
        'not an envelope at all',
      ]) {
        expect(cipher.decrypt(envelope, CONTEXT), JSON.stringify(envelope)).to.equal(undefined);
      }
    });
  });

  describe('key rotation', () => {
    it('decrypts with a later key what the old key encrypted', () => {
      const envelope = new SessionCipher([OLD_KEY]).encrypt(PLAINTEXT, CONTEXT);

      expect(new SessionCipher([NEW_KEY, OLD_KEY]).decrypt(envelope, CONTEXT)).to.equal(PLAINTEXT);
    });

    it('encrypts with the first key only', () => {
      const rotated = new SessionCipher([NEW_KEY, OLD_KEY]);
      const envelope = rotated.encrypt(PLAINTEXT, CONTEXT);

      expect(new SessionCipher([OLD_KEY]).decrypt(envelope, CONTEXT)).to.equal(undefined);
      expect(new SessionCipher([NEW_KEY]).decrypt(envelope, CONTEXT)).to.equal(PLAINTEXT);
      expect(rotated.decrypt(envelope, CONTEXT)).to.equal(PLAINTEXT);
    });
  });

  describe('keys', () => {
    it('refuses an empty key list', () => {
      expect(() => new SessionCipher([])).to.throw(InvalidEncryptionKeyError);
    });

    for (const [name, key] of [
      ['an empty key', ''],
      ['a short key', randomBytes(16).toString('base64')],
      ['a 31-byte key', randomBytes(31).toString('base64')],
      ['a 33-byte key', randomBytes(33).toString('base64')],
      ['text that is not base64', 'this is not a base64 key, not at all!!!!!!!'],
    ] as const) {
      it(`refuses ${name}`, () => {
        expect(() => new SessionCipher([key])).to.throw(InvalidEncryptionKeyError);
      });
    }

    it('refuses a bad key anywhere in the list', () => {
      expect(() => new SessionCipher([NEW_KEY, 'short'])).to.throw(InvalidEncryptionKeyError, /key 2/);
    });
  });
});

describe('isValidEncryptionKey', () => {
  it('accepts 32 random bytes in canonical base64', () => {
    expect(isValidEncryptionKey(randomBytes(32).toString('base64'))).to.equal(true);
  });

  it('refuses other lengths', () => {
    for (const bytes of [0, 16, 31, 33, 64]) {
      expect(isValidEncryptionKey(randomBytes(bytes).toString('base64')), `${bytes} bytes`).to.equal(false);
    }
  });

  it('refuses a key without its padding', () => {
    const key = randomBytes(32).toString('base64');

    expect(isValidEncryptionKey(key.replace(/=+$/, ''))).to.equal(false);
  });

  it('refuses the base64url spelling of a key', () => {
    const key = Buffer.alloc(32, 0xfb); // encodes to '+' and '/' characters, which base64url spells '-' and '_'

    expect(isValidEncryptionKey(key.toString('base64'))).to.equal(true);
    expect(isValidEncryptionKey(key.toString('base64url'))).to.equal(false);
  });

  it('refuses text that is not base64', () => {
    expect(isValidEncryptionKey('this is not a base64 key, not at all!!!!!!!')).to.equal(false);
  });
});
