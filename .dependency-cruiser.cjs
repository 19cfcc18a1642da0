/**
 * The layering rules of DEVELOPERS.md, checked on every `npm test`:
 * domain and application are the inside of the hexagon and import no framework, client or adapter.
 */
const npm = ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'];

module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-domain',
      comment: 'src/domain is pure: no other layer and no package (Node built-ins are allowed).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'application-imports-only-domain-and-itself',
      comment: 'Use-cases depend on ports, never on Koa, node-fetch, ioredis, tsyringe or an adapter.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { pathNot: ['^src/(domain|application)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'application-imports-no-package',
      severity: 'error',
      from: { path: '^src/(domain|application)/' },
      to: { dependencyTypes: npm },
    },
    {
      name: 'infrastructure-not-to-http',
      severity: 'error',
      from: { path: '^src/infrastructure/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'http-not-to-infrastructure',
      comment: 'The HTTP adapter reaches adapters only through use-cases and ports.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/infrastructure/' },
    },
    {
      name: 'only-the-server-and-tests-use-the-composition-root',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/server\\.ts$' },
      to: { path: '^src/composition-root\\.ts$' },
    },
    {
      name: 'src-not-to-test',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|examples)/' },
    },
    {
      name: 'src-not-to-the-fake',
      comment: 'The service never knows the fake Atlassian: it must work the same against the real one.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^fake-atlassian/' },
    },
    {
      name: 'the-fake-not-to-src-or-tests',
      comment: 'The fake Atlassian is a product of its own: it follows Atlassian\'s documentation, not the service\'s code.',
      severity: 'error',
      from: { path: '^fake-atlassian/' },
      to: { path: '^(src|test|bench|sandbox|examples)/' },
    },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    { name: 'no-circular', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true, // also catches `import type` across layers
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      extensions: ['.ts', '.js'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
