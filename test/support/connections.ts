import type { Product } from '../../src/domain/product.js';
import type { ApiTokenConnection, OAuthConnection } from '../../src/domain/session.js';
import { START_OF_TEST } from './port-fakes.js';

/** An OAuth connection to acme, valid for an hour after START_OF_TEST unless `overrides` say otherwise. */
export function oauthConnection(product: Product, overrides: Partial<OAuthConnection> = {}): OAuthConnection {
  return {
    product,
    method: 'oauth',
    site: { id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'Acme' },
    connectedAt: START_OF_TEST,
    version: 'v1',
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    accessTokenExpiresAt: START_OF_TEST + 3_600_000,
    scopes: ['read:jira-work'],
    ...overrides,
  };
}

/** An API-token connection to acme through the site. */
export function apiTokenConnection(product: Product, overrides: Partial<ApiTokenConnection> = {}): ApiTokenConnection {
  return {
    product,
    method: 'api_token',
    site: { url: 'https://acme.atlassian.net' },
    connectedAt: START_OF_TEST,
    version: 'v1',
    email: 'ada@example.com',
    apiToken: 'api-token-1',
    route: 'site',
    ...overrides,
  };
}

/** An OAuth connection whose tokens say SECRET, for tests that look for secrets in what a store wrote. */
export const SECRET_OAUTH_CONNECTION: OAuthConnection = oauthConnection('jira', {
  site: { id: 'cloud-1', url: 'https://acme.atlassian.net', name: 'Acme' },
  accessToken: 'eyJ-access-token-SECRET',
  refreshToken: 'refresh-token-SECRET',
});
