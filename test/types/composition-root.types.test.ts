import { expect } from 'chai';
import type { DependencyContainer } from 'tsyringe';
import { ConnectionAccess } from '../../src/application/connection-access.js';
import type { ConfluenceGateway } from '../../src/application/ports/confluence-gateway.js';
import type { JiraGateway } from '../../src/application/ports/jira-gateway.js';
import { ListProjects } from '../../src/application/use-cases/list-projects.js';
import { buildContainer, register, resolve, TOKENS } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config.js';
import { HttpConfluenceGateway } from '../../src/infrastructure/atlassian/http-confluence-gateway.js';
import { HttpJiraGateway } from '../../src/infrastructure/atlassian/http-jira-gateway.js';
import { createLogger } from '../../src/logger.js';

/**
 * Wrong wirings that must not compile. `npm run typecheck` checks this file: each `@ts-expect-error` fails the
 * type-check if the line below it compiles, so a token that lost its type would make this test fail, not pass
 * silently. The function is never called: the lines are there for the compiler, not to run.
 */
export function wrongWirings(c: DependencyContainer): void {
  // The Confluence gateway where ListProjects needs the Jira gateway.
  // @ts-expect-error ConfluenceGateway is not a JiraGateway
  register(c, TOKENS.listProjects, (get) => new ListProjects(get(TOKENS.connectionAccess), get(TOKENS.confluenceGateway)));

  // The Confluence adapter registered under the Jira gateway's token.
  // @ts-expect-error HttpConfluenceGateway is not a JiraGateway
  register(c, TOKENS.jiraGateway, (get) => new HttpConfluenceGateway(get(TOKENS.atlassianHttp), get(TOKENS.atlassianUrls)));

  // What a token resolves to is its type, not what the receiver asks for.
  // @ts-expect-error a JiraGateway token does not resolve to a ConfluenceGateway
  const confluence: ConfluenceGateway = resolve(c, TOKENS.jiraGateway);

  // A use-case where a port is expected.
  // @ts-expect-error ConnectionAccess takes the session store, not the lock
  register(c, TOKENS.connectionAccess, (get) => new ConnectionAccess(get(TOKENS.lock), get(TOKENS.tokenRefresher), get(TOKENS.clock)));

  // The right pairings compile (the counterpart of the lines above).
  register(c, TOKENS.jiraGateway, (get) => new HttpJiraGateway(get(TOKENS.atlassianHttp), get(TOKENS.atlassianUrls), 1));
  const jira: JiraGateway = resolve(c, TOKENS.jiraGateway);
  void confluence;
  void jira;
}

describe('composition root: typed tokens', () => {
  it('resolves each token to the instance its type names', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const c = await buildContainer(config, createLogger(config.logLevel));
    expect(resolve(c, TOKENS.jiraGateway)).to.be.instanceOf(HttpJiraGateway);
    expect(resolve(c, TOKENS.confluenceGateway)).to.be.instanceOf(HttpConfluenceGateway);
    expect(resolve(c, TOKENS.listProjects)).to.be.instanceOf(ListProjects);
    // One instance per container.
    expect(resolve(c, TOKENS.jiraGateway)).to.equal(resolve(c, TOKENS.jiraGateway));
  });
});
