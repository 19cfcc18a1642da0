/**
 * What the sandbox's fake Atlassian holds: two sites, one demo user who can reach both, and one OAuth app per
 * product. The e2e test reads the same constants, so what it checks on the page is what was seeded here.
 */
import type { FakeAtlassian, FakeProject, FakeSpace } from '../fake-atlassian/index.js';

export const DEMO_USER = {
  email: 'demo@example.com',
  apiToken: 'demo-api-token',
  displayName: 'Demo User',
} as const;

/** The app name shown on the consent page, and the client of each product (secrets are fake, not secret). */
export const OAUTH_APP = {
  name: 'Atlassian connector (sandbox)',
  jira: { clientId: 'sandbox-jira-client', clientSecret: 'sandbox-jira-secret' },
  confluence: { clientId: 'sandbox-confluence-client', clientSecret: 'sandbox-confluence-secret' },
} as const;

/** Site used by API-token login when the form leaves the site empty (ATLASSIAN_DEFAULT_SITE). */
export const DEFAULT_SITE = 'acme';

const TEAM_PROJECTS: readonly [string, string][] = [
  ['APP', 'Mobile app'], ['WEB', 'Website'], ['API', 'Public API'], ['OPS', 'Operations'], ['DATA', 'Data platform'],
  ['SEC', 'Security'], ['PAY', 'Payments'], ['BILL', 'Billing'], ['AUTH', 'Identity and access'], ['SRCH', 'Search'],
  ['DES', 'Design system'], ['QA', 'Quality assurance'], ['DOC', 'Documentation'], ['SUP', 'Customer support'],
  ['MKT', 'Marketing'], ['SALES', 'Sales pipeline'], ['HR', 'People team'], ['FIN', 'Finance'], ['LEG', 'Legal'],
  ['INFRA', 'Infrastructure'],
];
const CODENAMES = [
  'Apollo', 'Borealis', 'Cascade', 'Delta', 'Ember', 'Falcon', 'Granite', 'Harbor', 'Ion', 'Juniper',
  'Kestrel', 'Lumen', 'Meridian', 'Nimbus', 'Orion', 'Pioneer', 'Quartz', 'Raven', 'Summit', 'Tundra',
] as const;
const WORKSTREAMS: readonly [string, string][] = [
  ['PL', 'platform'], ['MG', 'migration'], ['RD', 'redesign'], ['RO', 'rollout'], ['RS', 'research'],
];
const TYPES = ['software', 'business', 'service_desk'] as const;

/** 20 team projects and 100 codename projects (`APOPL` "Apollo platform", …): 120 in all. */
function acmeProjects(): FakeProject[] {
  const named: [string, string][] = [...TEAM_PROJECTS];
  for (const codename of CODENAMES) {
    for (const [suffix, work] of WORKSTREAMS) named.push([`${codename.slice(0, 3).toUpperCase()}${suffix}`, `${codename} ${work}`]);
  }
  return named.map(([key, name], i) => ({
    id: String(10000 + i),
    key,
    name,
    projectTypeKey: TYPES[i % TYPES.length] ?? 'software',
    style: i % 3 === 1 ? 'next-gen' : 'classic',
  }));
}

const TEAM_SPACES: readonly [string, string, string][] = [
  ['ENG', 'Engineering', 'global'], ['PROD', 'Product', 'global'], ['DES', 'Design', 'global'],
  ['OPS', 'Operations', 'global'], ['HR', 'People', 'global'], ['MKT', 'Marketing', 'global'],
  ['KB', 'Support knowledge base', 'knowledge_base'], ['LEG', 'Legal', 'global'], ['FIN', 'Finance', 'global'],
  ['SEC', 'Security', 'global'], ['ARCH', 'Architecture decisions', 'global'], ['ONB', 'Onboarding', 'global'],
  ['HAND', 'Handbook', 'global'], ['RUN', 'Runbooks', 'global'], ['RETRO', 'Retrospectives', 'collaboration'],
  ['ALL', 'All hands', 'collaboration'], ['ROAD', 'Roadmap', 'global'], ['RFC', 'Requests for comments', 'global'],
  ['~demo', 'Demo User', 'personal'], ['~ada', 'Ada Lovelace', 'personal'],
];

/** 20 team spaces and 20 codename spaces: 40 in all. Ids are numeric strings, as in Confluence. */
function acmeSpaces(): FakeSpace[] {
  const named: [string, string, string][] = [...TEAM_SPACES];
  for (const codename of CODENAMES) named.push([codename.toUpperCase(), `${codename} team`, 'global']);
  return named.map(([key, name, type], i) => ({
    id: String(98304 + i * 65537),
    key,
    name,
    type,
    status: 'current',
    createdAt: new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString(),
  }));
}

export interface SeedSite {
  readonly host: string;
  readonly name: string;
  readonly projects: readonly FakeProject[];
  readonly spaces: readonly FakeSpace[];
}

export const SITES = {
  acme: { host: 'acme.atlassian.net', name: 'Acme', projects: acmeProjects(), spaces: acmeSpaces() },
  globex: {
    host: 'globex.atlassian.net',
    name: 'Globex',
    projects: [
      { id: '20000', key: 'GLX', name: 'Globex core', projectTypeKey: 'software', style: 'classic' },
      { id: '20001', key: 'HAM', name: 'Hammock district', projectTypeKey: 'business', style: 'next-gen' },
      { id: '20002', key: 'HELP', name: 'Help desk', projectTypeKey: 'service_desk', style: 'classic' },
      { id: '20003', key: 'WID', name: 'Widgets', projectTypeKey: 'software', style: 'next-gen' },
      { id: '20004', key: 'OPS', name: 'Operations', projectTypeKey: 'business', style: 'classic' },
    ],
    spaces: [
      { id: '360449', key: 'GLX', name: 'Globex wiki', type: 'global', status: 'current' },
      { id: '360450', key: 'ENG', name: 'Engineering', type: 'global', status: 'current' },
      { id: '360451', key: '~demo', name: 'Demo User', type: 'personal', status: 'current' },
    ],
  },
} as const satisfies Record<string, SeedSite>;

/** Seeds a started fake. The OAuth clients accept exactly the service's per-product callback URLs. */
export function seedFake(fake: FakeAtlassian, callbackUrls: { jira: string; confluence: string }): void {
  for (const site of Object.values(SITES)) {
    fake.addSite({ host: site.host, name: site.name, projects: [...site.projects], spaces: [...site.spaces] });
  }
  fake.addUser({ ...DEMO_USER, sites: Object.values(SITES).map((site) => site.host) });
  for (const product of ['jira', 'confluence'] as const) {
    fake.addOAuthClient({
      name: OAUTH_APP.name,
      clientId: OAUTH_APP[product].clientId,
      clientSecret: OAUTH_APP[product].clientSecret,
      redirectUris: [callbackUrls[product]],
    });
  }
}
