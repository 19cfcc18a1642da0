/**
 * `npm run sandbox`: a local fake Atlassian, the service pointed at it and the example frontend, in one command.
 * Ctrl-C stops all three.
 */
import { DEMO_USER, SITES } from './seed.js';
import { sandboxOptionsFromEnv, startSandbox } from './sandbox.js';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  let options;
  try {
    options = sandboxOptionsFromEnv(process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  print('Starting the sandbox: fake Atlassian, connector service, example frontend…');
  const sandbox = await startSandbox({ ...options, log: print }).catch((error: unknown) => {
    process.stderr.write(`The sandbox could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });

  const sites = Object.values(SITES)
    .map((site) => `${site.host} (${site.projects.length} projects, ${site.spaces.length} spaces)`)
    .join(', ');
  print([
    '',
    '  Atlassian connector sandbox',
    '',
    `  Open            ${sandbox.frontendUrl}`,
    `  Service         ${sandbox.serviceUrl}   (API docs: ${sandbox.serviceUrl}/docs)`,
    `  Fake Atlassian  ${sandbox.fakeUrl}`,
    '',
    `  Demo user       ${DEMO_USER.email}`,
    `  API token       ${DEMO_USER.apiToken}`,
    `  Sites           ${sites}`,
    '',
    '  "Connect with Atlassian" goes through the fake consent page and finishes in the tab that started it',
    '  (POST /auth/oauth/complete): a consent link opened in another browser connects nothing. The API-token',
    '  form takes the demo credentials. Press Ctrl-C to stop.',
    '',
  ].join('\n'));

  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    print('Stopping the sandbox…');
    void sandbox.stop().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  void sandbox.serviceExited.then((code) => {
    if (stopping) return;
    process.stderr.write(`The service exited unexpectedly (code ${String(code)}).\n`);
    stop(1);
  });
}

void main();
