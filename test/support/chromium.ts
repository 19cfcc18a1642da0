import { existsSync } from 'node:fs';

/** Debian's `chromium` package (apt-get install chromium). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Call in a `before` of every suite that drives a browser. In CI a missing Chromium fails the suite; elsewhere
 * the suite is skipped, and says so loudly so nobody mistakes the skip for a pass.
 */
export function requireChromium(context: Mocha.Context): void {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.env['CI']) throw new Error(`Chromium is required in CI but ${CHROMIUM_PATH} is missing (apt-get install chromium)`);
  const banner = '!'.repeat(100);
  console.warn(`\n${banner}\n!!! SKIPPED: "${context.test?.parent?.fullTitle() ?? 'a browser suite'}" — no Chromium at ${CHROMIUM_PATH}.`);
  console.warn(`!!! These tests did NOT run. Install it: apt-get update && apt-get install -y chromium\n${banner}\n`);
  context.skip();
}
