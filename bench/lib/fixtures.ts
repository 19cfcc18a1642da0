export const BENCH_SITE = 'bench.atlassian.net';
export const BENCH_USER = { email: 'bench@example.com', apiToken: 'bench-api-token-0123456789abcdef' } as const;
export const BASIC = `Basic ${Buffer.from(`${BENCH_USER.email}:${BENCH_USER.apiToken}`).toString('base64')}`;
