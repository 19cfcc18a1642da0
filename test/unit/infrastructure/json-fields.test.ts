import { expect } from 'chai';
import { httpsUrl } from '../../../src/infrastructure/atlassian/json-fields.js';

describe('httpsUrl (links passed on to browsers, e.g. avatars)', () => {
  it('keeps an https URL as it came', () => {
    for (const url of [
      'https://acme.atlassian.net/rest/api/3/universal_avatar/view/type/project/avatar/10400',
      'https://secure.gravatar.com/avatar/abc?d=mm&s=48',
      'HTTPS://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/x/48',
      `https://a.example/${'p'.repeat(2000)}`,
    ]) {
      expect(httpsUrl(url), url.slice(0, 60)).to.equal(url);
    }
  });

  it('drops every other scheme, and what only looks like https', () => {
    for (const value of [
      'http://acme.atlassian.net/avatar.png',
      'javascript:alert(document.cookie)',
      'JaVaScRiPt:alert(1)',
      'data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      '//evil.example/a.png',
      '/relative/avatar.png',
      'https:evil.example/a.png',
      ' https://acme.atlassian.net/a.png',
    ]) {
      expect(httpsUrl(value), value).to.equal(undefined);
    }
  });

  it('drops https URLs with userinfo, whitespace or control characters, or over 2048 characters', () => {
    for (const value of [
      'https://user:pass@evil.example/a.png',
      'https://acme.atlassian.net@evil.example/a.png',
      'https://acme.atlassian.net/a.png\njavascript:alert(1)',
      'https://acme.atlassian.net/a\t.png',
      'https://acme.atlassian.net/a\u0000.png',
      'https://acme.atlassian.net/a b.png',
      `https://a.example/${'p'.repeat(2040)}`,
    ]) {
      expect(httpsUrl(value), JSON.stringify(value).slice(0, 60)).to.equal(undefined);
    }
  });

  it('answers as the URL parser does, whether or not a value takes the pattern shortcut', () => {
    // The rule before the shortcut: every value through the WHATWG parser.
    const byParser = (value: string) => {
      if (value.length > 2048 || !/^https:\/\//i.test(value) || /[\s\u0000-\u001f\u007f]/.test(value)) return undefined;
      try {
        const url = new URL(value);
        return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '' ? value : undefined;
      } catch {
        return undefined;
      }
    };
    const hosts = ['acme.atlassian.net', 'a', 'a-b.c', 'a..b', 'a.b.', '-a.b', '1.2.3.4', '[::1]', 'bücher.example', 'xn--bcher-kva.example', 'a_b.example', 'u@h', 'u:p@h', ''];
    const ports = ['', ':443', ':8443', ':65535', ':65536', ':99999', ':', ':x'];
    const rests = ['', '/', '/a/b.png', '?s=48', '#f', '/a?b=c#d', '/a\\b', '\\evil', '/%2e%2e/', '/a<b>"c', '@evil.example'];
    for (const host of hosts) {
      for (const port of ports) {
        for (const rest of rests) {
          const value = `https://${host}${port}${rest}`;
          expect(httpsUrl(value), value).to.equal(byParser(value));
        }
      }
    }
  });

  it('drops non-strings', () => {
    for (const value of [undefined, null, 42, {}, ['https://a.example/x.png'], { href: 'https://a.example/x.png' }]) {
      expect(httpsUrl(value)).to.equal(undefined);
    }
  });
});
