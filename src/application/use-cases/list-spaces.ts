import type { Space } from '../../domain/listing.js';
import type { ConnectionAccess } from '../connection-access.js';
import type { ConfluenceGateway } from '../ports/confluence-gateway.js';

export interface ListSpacesInput {
  readonly sessionToken?: string;
}

export interface ListSpacesOutput {
  readonly spaces: readonly Space[];
  readonly total: number;
}

export class ListSpaces {
  constructor(
    private readonly access: ConnectionAccess,
    private readonly confluence: ConfluenceGateway,
  ) {}

  async execute(input: ListSpacesInput): Promise<ListSpacesOutput> {
    const spaces = await this.access.run(input.sessionToken, 'confluence', (credentials, connection, deadline) =>
      this.confluence.listSpaces(credentials, connection.site.url, deadline),
    );
    return { spaces, total: spaces.length };
  }
}
