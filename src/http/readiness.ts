/** How long one readiness check may take before it counts as failed. */
export const READINESS_TIMEOUT_MS = 1_000;

/**
 * What `GET /health/ready` asks: every named dependency answers within the bound, and the instance is not
 * draining. Draining starts on SIGTERM, before the listener closes, so a load balancer stops routing here first.
 */
export class Readiness {
  private draining = false;

  constructor(
    private readonly checks: Readonly<Record<string, () => Promise<unknown>>>,
    private readonly timeoutMs = READINESS_TIMEOUT_MS,
    private readonly notes: Readonly<Record<string, () => string>> = {},
  ) {}

  /** What a check can say about its dependency's state (the store's topology and connection), for the answer. */
  note(name: string): string | undefined {
    return this.notes[name]?.();
  }

  drain(): void {
    this.draining = true;
  }

  /** Names of what is not ready, empty when the instance can take traffic. */
  async failing(): Promise<string[]> {
    const names = Object.keys(this.checks);
    const results = await Promise.all(names.map((name) => this.passes(this.checks[name]!)));
    const failed = names.filter((_, index) => !results[index]);
    return this.draining ? ['draining', ...failed] : failed;
  }

  private async passes(check: () => Promise<unknown>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.timeoutMs);
    });
    try {
      return await Promise.race([check().then(() => true, () => false), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
