import type { SessionStore } from '../ports/session-store.js';
import { loadSession } from '../session-access.js';

export interface EndSessionInput {
  readonly sessionToken?: string;
}

/** Logs out: the session and every credential in it are deleted. */
export class EndSession {
  constructor(private readonly store: SessionStore) {}

  async execute(input: EndSessionInput): Promise<void> {
    const session = await loadSession(this.store, input.sessionToken);
    await this.store.delete(session.id);
  }
}
