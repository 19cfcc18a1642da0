import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const config = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs')) as IConfiguration;

async function cruiseTree(baseDir: string): Promise<ICruiseResult> {
  const result = await cruise(['src', 'fake-atlassian'], {
    ...config.options,
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden },
    tsConfig: { fileName: path.join(root, 'tsconfig.json') },
  });
  return result.output as ICruiseResult;
}

describe('layering rules (dependency-cruiser)', function () {
  this.timeout(30_000);

  it('hold for the whole of src/ and the fake Atlassian', async () => {
    const result = await cruiseTree(root);
    const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(violations).to.deep.equal([]);
    expect(result.summary.totalCruised).to.be.greaterThan(30);
  });

  it('catch a domain importing an adapter, a use-case importing Koa, http importing infrastructure, and the service and the fake Atlassian importing each other', async () => {
    const result = await cruiseTree(path.join(root, 'test/architecture/fixture'));
    const broken = result.summary.violations.map((v) => `${v.rule.name} ${v.from}`);
    expect(broken).to.include.members([
      'domain-imports-only-domain src/domain/leaky-domain.ts',
      'application-imports-no-package src/application/framework-use-case.ts',
      'http-not-to-infrastructure src/http/route-with-adapter.ts',
      'src-not-to-the-fake src/infrastructure/uses-the-fake.ts',
      'the-fake-not-to-src-or-tests fake-atlassian/index.ts',
    ]);
  });
});
