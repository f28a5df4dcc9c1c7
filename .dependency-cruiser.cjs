// The dependency rules of STYLE.md, checked by test/dependencies.test.ts (so by `npm test`).

// The pure core: deciders, events, commands, the pure helpers a decider is split into, and the
// projection files (the runner and its machinery around them do the I/O). They may take values
// from one another and from node:util; from anything else, types only, so that no rule can ever
// reach the database, the network or the clock.
const PURE = [
  '^src/[^/]+/(decider|events|commands)\\.ts$',
  '^src/patients/(patient|care-team|reach)\\.ts$',
  '^projections/(?!(runner|rebuild|workers|listener|checkpoints|row-store|tables|registry)\\.ts$)[^/]+\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-import-cycle',
      comment: 'Modules that import each other, even for types only: move what both need to a module of its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'pure-imports-only-types',
      comment: 'A decider, events, commands or projection file imports only types from outside the pure core (import type).',
      severity: 'error',
      from: { path: PURE },
      to: { pathNot: [...PURE, '^(node:)?util$'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
