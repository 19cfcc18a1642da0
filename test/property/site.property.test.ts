import { expect } from 'chai';
import fc from 'fast-check';
import { AppError } from '../../src/domain/errors.js';
import { normaliseSite } from '../../src/domain/site.js';

/** What normaliseSite may answer: one DNS label under atlassian.net, lower case. */
const HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.atlassian\.net$/;
/** Everything an accepted input may look like (case-insensitive): `label`, `label.atlassian.net`, `https://…/`. */
const ACCEPTED_FORM = /^(?:https:\/\/[a-z0-9-]+(?:\.atlassian\.net)?\/?|[a-z0-9-]+(?:\.atlassian\.net)?)$/i;
const RUNS = { numRuns: 2000, seed: 20_061 } as const;

/** A valid DNS label, lower case, 1–63 characters. */
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);

/** The outcome of normaliseSite: the host, or the AppError code; any other throw fails the property at once. */
function outcome(input: string): { host: string } | { code: string } {
  try {
    return { host: normaliseSite(input) };
  } catch (error) {
    if (!(error instanceof AppError)) throw new Error(`normaliseSite(${JSON.stringify(input)}) threw a non-AppError: ${String(error)}`);
    return { code: error.code };
  }
}

/** Strings that look like what people (and attackers) type into a "site" box. */
const siteLike = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom(...'aAzZ09-._:/@?#%[]\\ \t\n\u0000~+!$&\'()*,;=é\u212A\u0130\uFF0E\u3002'.split('')), maxLength: 80 }),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.domain(),
  fc.ipV4(),
  fc.ipV6(),
  fc.tuple(
    fc.constantFrom('', 'https://', 'http://', 'HTTPS://', '//', 'https://user:pw@', 'https://evil.com#', 'ftp://'),
    fc.oneof(label, fc.domain(), fc.string({ maxLength: 20 })),
    fc.constantFrom('', '.atlassian.net', '.ATLASSIAN.NET', '.atlassian.net.', '.atlassian.net.evil.com', '.evil.com', '.atlassian.net:443', ':8080'),
    fc.constantFrom('', '/', '//', '/wiki', '?x=1', '#f', '@evil.com', '%2F', ' ', '\n'),
  ).map((parts) => parts.join('')),
  // Near misses of the accepted forms, so that a good share of inputs is accepted and the properties bite.
  fc.tuple(
    fc.constantFrom('', 'https://', 'HTTPS://', 'http://'),
    fc.mixedCase(label),
    fc.constantFrom('', '.atlassian.net', '.Atlassian.Net', '.atlassian.com'),
    fc.constantFrom('', '/', '//', '.'),
  ).map((parts) => parts.join('')),
  fc.string({ minLength: 290, maxLength: 320, unit: fc.constantFrom('a', 'b', '-') }),
);

describe('property: normaliseSite', () => {
  it('<label>, <label>.atlassian.net and https://<label>.atlassian.net[/] all normalise to <label>.atlassian.net', () => {
    fc.assert(
      fc.property(label, fc.constantFrom('bare', 'host', 'url', 'url/'), (name, form) => {
        const input = { bare: name, host: `${name}.atlassian.net`, url: `https://${name}.atlassian.net`, 'url/': `https://${name}.atlassian.net/` }[form];
        expect(normaliseSite(input)).to.equal(`${name}.atlassian.net`);
      }),
      RUNS,
    );
  });

  it('is case-insensitive: any mix of upper and lower case gives the lower-case host', () => {
    fc.assert(
      fc.property(
        label.chain((name) => fc.tuple(fc.constant(name), fc.mixedCase(fc.constant(`https://${name}.atlassian.net/`)), fc.mixedCase(fc.constant(name)))),
        ([name, url, bare]) => {
          expect(normaliseSite(url)).to.equal(`${name}.atlassian.net`);
          expect(normaliseSite(bare)).to.equal(`${name}.atlassian.net`);
        },
      ),
      RUNS,
    );
  });

  it('for ANY string: answers an <label>.atlassian.net host or throws AppError invalid_site, never anything else', () => {
    fc.assert(
      fc.property(siteLike, (input) => {
        const result = outcome(input);
        if ('code' in result) {
          expect(result.code, JSON.stringify(input)).to.equal('invalid_site');
        } else {
          expect(result.host, JSON.stringify(input)).to.match(HOST);
        }
      }),
      { ...RUNS, numRuns: 5000 },
    );
  });

  it('accepts only the three documented forms: no scheme but https, no port, path, query, userinfo or other domain', () => {
    fc.assert(
      fc.property(siteLike, (input) => {
        const result = outcome(input);
        if ('host' in result) {
          expect(input, 'an accepted input').to.match(ACCEPTED_FORM);
          // The host answered is the label the input named, nothing from elsewhere in the string.
          const name = result.host.slice(0, -'.atlassian.net'.length);
          expect(input.toLowerCase()).to.include(name);
        }
      }),
      { ...RUNS, numRuns: 5000 },
    );
  });

  it('is idempotent: normalising a normalised host answers the same host', () => {
    fc.assert(
      fc.property(fc.oneof(siteLike, label, label.map((name) => `https://${name}.atlassian.net/`)), (input) => {
        const result = outcome(input);
        if ('host' in result) expect(normaliseSite(result.host)).to.equal(result.host);
      }),
      { ...RUNS, numRuns: 5000 },
    );
  });

  it('refuses every non-ASCII input, even one that lower-cases into ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => /[^\x00-\x7f]/.test(s)), (input) => {
        expect(outcome(input)).to.deep.equal({ code: 'invalid_site' });
      }),
      RUNS,
    );
  });

  it('refuses a valid label followed by any other domain', () => {
    fc.assert(
      fc.property(label, fc.domain().filter((d) => d !== 'atlassian.net'), (name, domain) => {
        expect(outcome(`${name}.${domain}`)).to.deep.equal({ code: 'invalid_site' });
        expect(outcome(`https://${name}.${domain}/`)).to.deep.equal({ code: 'invalid_site' });
      }),
      RUNS,
    );
  });
});
