import { expect } from 'chai';
import { AppError } from '../../../src/domain/errors.js';
import { normaliseSite, siteUrl } from '../../../src/domain/site.js';

function expectRefused(input: string): void {
  expect(() => normaliseSite(input), JSON.stringify(input)).to.throw(AppError).with.property('code', 'invalid_site');
}

describe('normaliseSite', () => {
  describe('accepts a site and answers its host', () => {
    const accepted: readonly [string, string][] = [
      ['acme', 'acme.atlassian.net'],
      ['ACME', 'acme.atlassian.net'],
      ['acme.atlassian.net', 'acme.atlassian.net'],
      ['Acme.Atlassian.NET', 'acme.atlassian.net'],
      ['https://acme.atlassian.net', 'acme.atlassian.net'],
      ['https://acme.atlassian.net/', 'acme.atlassian.net'],
      ['HTTPS://ACME.atlassian.net/', 'acme.atlassian.net'],
      ['my-company', 'my-company.atlassian.net'],
      ['my-company-2.atlassian.net', 'my-company-2.atlassian.net'],
      ['a', 'a.atlassian.net'],
      ['a'.repeat(63), `${'a'.repeat(63)}.atlassian.net`],
      // A number is a valid DNS label, so this is an atlassian.net host, not the IP 127.0.0.1 written in decimal.
      ['2130706433', '2130706433.atlassian.net'],
    ];
    for (const [input, host] of accepted) {
      it(`${JSON.stringify(input)} → ${host}`, () => {
        expect(normaliseSite(input)).to.equal(host);
      });
    }
  });

  describe('refuses with invalid_site', () => {
    const refused: readonly [string, string][] = [
      ['another domain', 'evil.com'],
      ['an atlassian.net look-alike suffix', 'acme.atlassian.net.evil.com'],
      ['a domain ending in atlassian.net without the dot', 'evilatlassian.net'],
      ['a nested atlassian.net name', 'a.b.atlassian.net'],
      ['the bare atlassian.net', 'atlassian.net'],
      ['an empty name before .atlassian.net', '.atlassian.net'],
      ['an empty inner label', 'acme..atlassian.net'],
      ["Atlassian's API host", 'api.atlassian.com'],
      ['an IPv4 address', '127.0.0.1'],
      ['an IPv6 address', '[::1]'],
      ['an IPv6 URL', 'https://[::1]/'],
      ['a port', 'acme.atlassian.net:443'],
      ['a port in a URL', 'https://acme.atlassian.net:8443'],
      ['a path', 'https://acme.atlassian.net/wiki'],
      ['a double trailing slash', 'https://acme.atlassian.net//'],
      ['a query', 'https://acme.atlassian.net?x=1'],
      ['a query after the slash', 'https://acme.atlassian.net/?x=1'],
      ['a fragment', 'https://acme.atlassian.net#top'],
      ['userinfo', 'user@acme.atlassian.net'],
      ['userinfo with a password', 'https://u:p@acme.atlassian.net'],
      ['userinfo pointing elsewhere', 'https://acme.atlassian.net@evil.com'],
      ['the http scheme', 'http://acme.atlassian.net'],
      ['another scheme', 'ftp://acme.atlassian.net'],
      ['a protocol-relative URL', '//acme.atlassian.net'],
      ['leading whitespace', ' acme'],
      ['trailing whitespace', 'acme '],
      ['inner whitespace', 'ac me'],
      ['a tab', 'acme\t'],
      ['a newline', 'acme\n.atlassian.net'],
      ['a carriage return and line feed', 'acme.atlassian.net\r\nHost: evil.com'],
      ['a non-breaking space', 'acme\u00a0'],
      ['a NUL byte', 'acme\u0000.atlassian.net'],
      ['a zero-width space', 'ac\u200bme'],
      ['an empty string', ''],
      ['an input over 300 characters', `${'a.'.repeat(150)}atlassian.net`],
      ['a name of 301 characters', 'a'.repeat(301)],
      ['a Cyrillic homoglyph', '\u0430cme'],
      ['a fullwidth letter', '\uff41cme'],
      ['an accented letter', 'acmé'],
      ['punycode-looking unicode', 'bücher.atlassian.net'],
      ['a fullwidth dot', 'acme\uff0eatlassian.net'],
      ['a trailing dot', 'acme.atlassian.net.'],
      ['a trailing dot on the name', 'acme.'],
      ['a leading hyphen', '-acme'],
      ['a trailing hyphen', 'acme-.atlassian.net'],
      ['a label over 63 characters', 'a'.repeat(64)],
      ['a label over 63 characters with the suffix', `${'a'.repeat(64)}.atlassian.net`],
      ['percent-encoding', 'acme%2eatlassian.net'],
      ['a percent-encoded slash', 'acme.atlassian.net%2fwiki'],
      ['a backslash', 'acme.atlassian.net\\evil.com'],
      ['a backslash URL', 'https:\\\\acme.atlassian.net'],
      ['an underscore', 'ac_me'],
      ['only the scheme', 'https://'],
    ];
    for (const [why, input] of refused) {
      it(`${why}: ${JSON.stringify(input)}`, () => {
        expectRefused(input);
      });
    }

    // U+212A KELVIN SIGN lower-cases to the ASCII letter "k"; a check made after toLowerCase() lets it through.
    it('a homoglyph that lower-cases to ASCII (Kelvin sign): "\\u212Acme"', () => {
      expectRefused('\u212Acme');
    });
  });

  describe('siteUrl', () => {
    it('is the https origin of the host', () => {
      expect(siteUrl(normaliseSite('acme'))).to.equal('https://acme.atlassian.net');
    });
  });
});
