/**
 * Blocks recorded when Atlassian answers that an hourly points quota is spent (docs/atlassian.md): while one
 * lasts, the service makes no call in its scope. Infrastructure only: the Atlassian adapter is its one user.
 *
 * Contract (test/contract/quota-blocks.contract.ts):
 * - after `block(scope, until)`, `blockedUntil([..., scope, ...])` answers `until` while the clock is before it;
 * - of several blocked scopes it answers the latest `until`; an unknown, expired or not-asked scope counts for nothing;
 * - a later `block` of the same scope replaces the earlier one, shorter or longer: the newest answer from
 *   Atlassian is the best knowledge of the reset;
 * - `block` with an `until` not after now records nothing.
 * Scopes are opaque strings (`global:<client id>`, `tenant:<client id>:<cloudId>`).
 */
export interface QuotaBlocks {
  block(scope: string, until: number): Promise<void>;
  /** The end of the latest live block among `scopes`, or undefined when none is blocked. */
  blockedUntil(scopes: readonly string[]): Promise<number | undefined>;
}
