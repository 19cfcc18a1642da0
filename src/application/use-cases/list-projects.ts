import type { Project } from '../../domain/listing.js';
import type { ConnectionAccess } from '../connection-access.js';
import type { JiraGateway } from '../ports/jira-gateway.js';

export interface ListProjectsInput {
  readonly sessionToken?: string;
}

export interface ListProjectsOutput {
  readonly projects: readonly Project[];
  readonly total: number;
}

export class ListProjects {
  constructor(
    private readonly access: ConnectionAccess,
    private readonly jira: JiraGateway,
  ) {}

  async execute(input: ListProjectsInput): Promise<ListProjectsOutput> {
    const projects = await this.access.run(input.sessionToken, 'jira', (credentials, connection, deadline) =>
      this.jira.listProjects(credentials, connection.site.url, deadline),
    );
    return { projects, total: projects.length };
  }
}
