import fetch from 'node-fetch';
import { BENCH_SITE, BENCH_USER } from './fixtures.js';

/** An API-token login as the bench user; answers the session token. */
export async function login(service: string, product: 'jira' | 'confluence' = 'jira'): Promise<string> {
  const answer = await fetch(`${service}/auth/${product}/api-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: BENCH_USER.email, api_token: BENCH_USER.apiToken, site: BENCH_SITE }),
  });
  const body = (await answer.json()) as { session_token?: string };
  if (body.session_token === undefined) throw new Error(`login failed: ${JSON.stringify(body)}`);
  return body.session_token;
}
