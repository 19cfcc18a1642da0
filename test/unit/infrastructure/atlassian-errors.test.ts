import { expect } from 'chai';
import { Headers } from 'node-fetch';
import { AppError, RetryableError, UpstreamUnauthorizedError } from '../../../src/domain/errors.js';
import { atlassianMessage, SAFE_ATLASSIAN_MESSAGES, upstreamText } from '../../../src/infrastructure/atlassian/atlassian-errors.js';
import { failure, type UpstreamResponse } from '../../../src/infrastructure/atlassian/atlassian-http.js';

describe('upstreamText (for classifying an answer, never shown)', () => {
  it("reads Jira's errorMessages", () => {
    expect(upstreamText({ errorMessages: ["The value 'X' is invalid"], errors: {} })).to.equal("The value 'X' is invalid");
  });

  it("reads Jira's errors object as `field: message` when errorMessages is empty", () => {
    expect(upstreamText({ errorMessages: [], errors: { orderBy: 'Invalid orderBy value.' } })).to.equal('orderBy: Invalid orderBy value.');
  });

  it("reads Confluence v2's errors[] detail, else title", () => {
    expect(upstreamText({ errors: [{ status: 400, code: 'INVALID_REQUEST_PARAMETER', title: 'Bad', detail: 'limit is too large' }] })).to.equal(
      'limit is too large',
    );
    expect(upstreamText({ errors: [{ status: 500, code: 'INTERNAL', title: 'Boom', detail: null }] })).to.equal('Boom');
  });

  it("reads the gateway's {code, message}", () => {
    expect(upstreamText({ code: 401, message: 'Unauthorized; scope does not match' })).to.equal('Unauthorized; scope does not match');
  });

  it("reads the OAuth server's error_description before its error code", () => {
    expect(upstreamText({ error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' })).to.equal(
      'Unknown or invalid refresh token.',
    );
  });

  it("reads Confluence v1's message", () => {
    expect(
      upstreamText({ statusCode: 404, data: { authorized: false, errors: [] }, message: 'No space with key : X', reason: 'Not Found' }),
    ).to.equal('No space with key : X');
  });

  it('reads plain text, with whitespace collapsed', () => {
    expect(upstreamText('Basic authentication with passwords is deprecated.  For more information, see: https://x')).to.equal(
      'Basic authentication with passwords is deprecated. For more information, see: https://x',
    );
    expect(upstreamText('  line one\n\tline two  ')).to.equal('line one line two');
  });

  it('refuses HTML (an error page is no message)', () => {
    expect(upstreamText('<!DOCTYPE html><html><body><h1>Oops</h1></body></html>')).to.equal(undefined);
    expect(upstreamText('<html><head><title>500</title></head></html>')).to.equal(undefined);
    expect(upstreamText({ errorMessages: ['<b>bold</b> failure'] })).to.equal(undefined);
  });

  it('truncates or drops a huge message, never returns it whole', () => {
    for (const body of ['x'.repeat(5_000), 'word '.repeat(200), { errorMessages: ['y'.repeat(10_000)] }, { message: 'z'.repeat(800) }]) {
      const message = upstreamText(body);
      if (message !== undefined) expect(message.length, JSON.stringify(message).slice(0, 50)).to.be.at.most(301);
    }
    expect(upstreamText('x'.repeat(5_000))).to.equal(undefined);
  });

  it('answers undefined for bodies without a message', () => {
    for (const body of [undefined, null, 42, true, [], ['a'], {}, { errorMessages: [], errors: {} }, { errors: [] }, { errors: [{ status: 500 }] }, '', '   ']) {
      expect(upstreamText(body), JSON.stringify(body)).to.equal(undefined);
    }
  });

  it('ignores non-string fields', () => {
    expect(upstreamText({ errorMessages: [42], message: 7 })).to.equal(undefined);
    expect(upstreamText({ errors: { field: { nested: true } } })).to.equal(undefined);
  });
});

describe('atlassianMessage (what a client may see): an allow-list', () => {
  it('answers each allow-listed sentence, in any of the body shapes, with whitespace normalised', () => {
    for (const safe of SAFE_ATLASSIAN_MESSAGES) {
      expect(atlassianMessage({ message: safe })).to.equal(safe);
      expect(atlassianMessage({ errorMessages: [` ${safe}\n`] })).to.equal(safe);
      expect(atlassianMessage({ error: 'x', error_description: safe })).to.equal(safe);
    }
  });

  it('answers the allow-listed sentence, not the rest, when the upstream text goes on after it', () => {
    expect(atlassianMessage('Basic authentication with passwords is deprecated.  For more information, see: https://evil.example/login')).to.equal(
      'Basic authentication with passwords is deprecated.',
    );
  });

  it('answers undefined for any other text: free text, look-alikes, prefixes glued to more words, markup', () => {
    for (const body of [
      { errorMessages: ["The value 'X' is invalid"] },
      { errors: [{ status: 500, code: 'INTERNAL', title: 'Boom', detail: null }] },
      { error: 'invalid_grant', error_description: 'Your account was locked: call +1 555 0100 and give your password' },
      { error_description: 'Visit https://evil.example to re-authorise' },
      { message: 'Unauthorizedxyz' },
      { message: 'unauthorized; SCOPE does not match' },
      { message: 'Please log in. Unknown or invalid refresh token.' },
      'Service Unavailable',
      '<html><body>Unauthorized</body></html>',
    ]) {
      expect(atlassianMessage(body), JSON.stringify(body)).to.equal(undefined);
    }
  });
});

describe('failure (the default reading of a non-2xx answer)', () => {
  const response = (status: number, body: unknown, headers: Record<string, string> = {}): UpstreamResponse => ({
    status,
    headers: new Headers(headers),
    body,
  });

  it('401 → upstream_unauthorized, not a scope mismatch', () => {
    const error = failure(response(401, { code: 401, message: 'Unauthorized' }));
    expect(error).to.be.instanceOf(UpstreamUnauthorizedError);
    expect(error.code).to.equal('upstream_unauthorized');
    expect((error as UpstreamUnauthorizedError).scopeMismatch).to.equal(false);
  });

  it('401 "scope does not match" → upstream_unauthorized with scopeMismatch', () => {
    const error = failure(response(401, { code: 401, message: 'Unauthorized; scope does not match' }));
    expect(error).to.be.instanceOf(UpstreamUnauthorizedError);
    expect((error as UpstreamUnauthorizedError).scopeMismatch).to.equal(true);
  });

  it('429 with Retry-After: 7 → rate_limited, retry after 7 s', () => {
    const error = failure(response(429, undefined, { 'Retry-After': '7' }));
    expect(error).to.be.instanceOf(RetryableError);
    expect(error.code).to.equal('rate_limited');
    expect((error as RetryableError).retryAfterSeconds).to.equal(7);
  });

  it('429 without Retry-After → rate_limited with a default wait', () => {
    const error = failure(response(429, undefined));
    expect(error.code).to.equal('rate_limited');
    expect((error as RetryableError).retryAfterSeconds).to.be.a('number').and.greaterThan(0);
  });

  it('429 with an HTTP-date Retry-After → rate_limited, rounded up to whole seconds', () => {
    const error = failure(response(429, undefined, { 'Retry-After': new Date(Date.now() + 90_500).toUTCString() }));
    expect(error.code).to.equal('rate_limited');
    // An HTTP date has whole-second resolution: 89.5–90.5 s away, rounded up.
    expect((error as RetryableError).retryAfterSeconds).to.be.within(89, 91);
  });

  it('503 with Retry-After → rate_limited (Atlassian: a resource limit, same as 429)', () => {
    const error = failure(response(503, 'Service Unavailable', { 'Retry-After': '3' }));
    expect(error).to.be.instanceOf(RetryableError);
    expect(error.code).to.equal('rate_limited');
    expect((error as RetryableError).retryAfterSeconds).to.equal(3);
  });

  it('503 without Retry-After → upstream_error', () => {
    const error = failure(response(503, undefined));
    expect(error).to.be.instanceOf(AppError);
    expect(error).not.to.be.instanceOf(RetryableError);
    expect(error.code).to.equal('upstream_error');
    expect(error.message).to.include('503');
  });

  it('302 → upstream_error (a redirect is not followed)', () => {
    const error = failure(response(302, undefined, { Location: 'https://elsewhere.example/' }));
    expect(error.code).to.equal('upstream_error');
    expect(error.message).not.to.include('elsewhere.example');
  });

  it("404 with a Jira body that is not allow-listed → upstream_error with the status and a fixed message, not Atlassian's text", () => {
    const error = failure(response(404, { errorMessages: ['No project could be found with key ABC.'], errors: {} }));
    expect(error.code).to.equal('upstream_error');
    expect(error.message).to.equal('Atlassian answered with status 404.');
  });

  it('500 with free text in error_description or the body → a fixed message; an allow-listed one is kept', () => {
    for (const body of [{ error: 'server_error', error_description: 'Contact admin@evil.example' }, 'Upstream says: click https://x.example']) {
      expect(failure(response(500, body)).message).to.equal('Atlassian answered with status 500.');
    }
    expect(failure(response(410, { statusCode: 410, message: 'GoneException: This deprecated endpoint has been removed.', reason: 'Gone' })).message)
      .to.equal('Atlassian answered with status 410: GoneException: This deprecated endpoint has been removed.');
  });

  it('500 with an HTML page → upstream_error without the HTML', () => {
    const error = failure(response(500, '<html><body><h1>Internal Server Error</h1></body></html>'));
    expect(error.code).to.equal('upstream_error');
    expect(error.message).not.to.match(/<[a-z!/]/i);
  });
});
