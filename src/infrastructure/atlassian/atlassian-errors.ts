const MAX_MESSAGE_LENGTH = 300;

/**
 * Atlassian's sentences that may be shown to clients: fixed texts that Atlassian documents (the refresh-token
 * page's `error_description`) or that public clients such as jira.js and confluence.js match on. An upstream message is shown only when it is one of
 * these, or starts with one (the Basic-auth text goes on with a URL), and then it is *this* text that is shown,
 * never Atlassian's bytes: a body is free text anyone between Atlassian and us (or a hostile site answering in its
 * place) can fill with markup, links, phishing text or another user's data.
 */
export const SAFE_ATLASSIAN_MESSAGES: readonly string[] = [
  // The gateway (api.atlassian.com).
  'Unauthorized; scope does not match',
  'Unauthorized',
  // Jira REST, anonymous caller.
  'You are not authenticated. Authentication required to perform this operation.',
  // The site host, Basic auth refused.
  'Basic authentication with passwords is deprecated.',
  // Confluence's removed v1 endpoints.
  'GoneException: This deprecated endpoint has been removed.',
  // The OAuth token endpoint's error_description values.
  'Unknown or invalid refresh token.',
  'Token has been expired or revoked.',
  'refresh_token is invalid',
  'authorization_code is invalid',
];

/**
 * Atlassian's message from an error body, for clients: one of SAFE_ATLASSIAN_MESSAGES, or undefined. Callers
 * then use a fixed message for the error code (with the status), so an unknown text never reaches a client.
 */
export function atlassianMessage(body: unknown): string | undefined {
  const text = upstreamText(body);
  if (text === undefined) return undefined;
  return SAFE_ATLASSIAN_MESSAGES.find((safe) => text === safe || text.startsWith(`${safe} `));
}

/**
 * Atlassian's own words from an error body, in any of its shapes: Jira's `errorMessages`/`errors`, Confluence
 * v2's `errors[]`, the gateway's `message`, the OAuth server's `error_description`. Short plain text only, and
 * for classifying an answer (a scope mismatch), never for a client: see atlassianMessage.
 */
export function upstreamText(body: unknown): string | undefined {
  const found = firstMessage(body);
  if (found === undefined) return undefined;
  const clean = found.replace(/\s+/g, ' ').trim();
  if (clean === '' || /<[a-z!/]/i.test(clean)) return undefined;
  return clean.length > MAX_MESSAGE_LENGTH ? `${clean.slice(0, MAX_MESSAGE_LENGTH)}…` : clean;
}

function firstMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.length < 1000 ? body : undefined;
  if (body === null || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  const messages = record['errorMessages'];
  if (Array.isArray(messages) && typeof messages[0] === 'string') return messages[0];
  const errors = record['errors'];
  if (Array.isArray(errors)) {
    const first = errors[0] as Record<string, unknown> | undefined;
    const text = first?.['detail'] ?? first?.['title'] ?? first?.['message'];
    if (typeof text === 'string') return text;
  } else if (errors !== null && typeof errors === 'object') {
    const [field, text] = Object.entries(errors as Record<string, unknown>)[0] ?? [];
    if (typeof text === 'string') return `${field}: ${text}`;
  }
  for (const key of ['error_description', 'message', 'error']) {
    const text = record[key];
    if (typeof text === 'string') return text;
  }
  return undefined;
}
