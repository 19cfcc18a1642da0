import { randomBytes } from 'node:crypto';
import type { TokenGenerator } from '../application/ports/token-generator.js';

const BYTES = 32;

export class CryptoTokenGenerator implements TokenGenerator {
  sessionToken(): string {
    return randomBytes(BYTES).toString('base64url');
  }

  oauthState(): string {
    return randomBytes(BYTES).toString('base64url');
  }

  pkceVerifier(): string {
    return randomBytes(BYTES).toString('base64url');
  }

  oauthCompletion(): string {
    return randomBytes(BYTES).toString('base64url');
  }

  id(): string {
    return randomBytes(16).toString('base64url');
  }
}
