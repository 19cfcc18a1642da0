const MAX_MESSAGE_LENGTH = 300;

/**
 * Atlassian's own words from an error body, in any of its shapes: Jira's `errorMessages`/`errors`, Confluence
 * v2's `errors[]`, the gateway's `message`, the OAuth server's `error_description`. Returned only when short and
 * plain text: the message is shown to users, and these bodies never carry the caller's secrets, but an HTML
 * error page or a huge body is no use to them.
 */
export function atlassianMessage(body: unknown): string | undefined {
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
