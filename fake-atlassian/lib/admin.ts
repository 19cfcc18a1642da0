import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddOAuthClientInput, AddSiteInput, AddUserInput, ConsentInput, FakeFault } from './types.js';
import { readBody, sendJson } from './util.js';

/** The part of FakeAtlassian the admin endpoints drive: the same calls a test makes in-process. */
export interface AdminTarget {
  addSite(site: AddSiteInput): { host: string; cloudId: string };
  addUser(user: AddUserInput): { accountId: string };
  addOAuthClient(client: AddOAuthClientInput): void;
  setConsent(consent: ConsentInput): void;
  injectFault(fault: FakeFault): void;
  clearFaults(): void;
  expireAccessTokens(): void;
  revokeGrant(email: string): void;
  readonly requests: readonly unknown[];
  clearRequests(): void;
  pointsSpent(clientId: string, cloudId?: string): number;
}

export const ADMIN_PREFIX = '/__admin/';

/**
 * `/__admin/…`: seeding, faults and the request log over HTTP, for a fake running in another process (the
 * sandbox, a frontend developer's curl). Admin requests are neither logged nor subject to faults or latency.
 */
export async function handleAdmin(target: AdminTarget, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const route = `${req.method ?? 'GET'} ${url.pathname.slice(ADMIN_PREFIX.length - 1)}`;
  const body = async (): Promise<unknown> => JSON.parse((await readBody(req)) || '{}') as unknown;
  switch (route) {
    case 'GET /requests':
      return sendJson(res, 200, { requests: target.requests });
    case 'DELETE /requests':
      target.clearRequests();
      return noContent(res);
    case 'POST /faults':
      target.injectFault(await body() as FakeFault);
      return noContent(res);
    case 'DELETE /faults':
      target.clearFaults();
      return noContent(res);
    case 'POST /sites': {
      const site = target.addSite(await body() as AddSiteInput);
      return sendJson(res, 201, { host: site.host, cloudId: site.cloudId });
    }
    case 'POST /users': {
      const user = target.addUser(await body() as AddUserInput);
      return sendJson(res, 201, { accountId: user.accountId });
    }
    case 'POST /oauth-clients':
      target.addOAuthClient(await body() as AddOAuthClientInput);
      return sendJson(res, 201, {});
    case 'PUT /consent':
      target.setConsent(await body() as ConsentInput);
      return noContent(res);
    case 'POST /expire-access-tokens':
      target.expireAccessTokens();
      return noContent(res);
    case 'POST /revoke-grant':
      target.revokeGrant(String((await body() as { email?: unknown }).email ?? ''));
      return noContent(res);
    case 'GET /points': {
      const clientId = url.searchParams.get('client_id') ?? '';
      const cloudId = url.searchParams.get('cloud_id') ?? undefined;
      return sendJson(res, 200, { points: target.pointsSpent(clientId, cloudId) });
    }
    default:
      return sendJson(res, 404, { message: `No admin endpoint ${route}. See fake-atlassian/README.md.` });
  }
}

function noContent(res: ServerResponse): void {
  res.writeHead(204).end();
}
