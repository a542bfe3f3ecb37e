/**
 * Four tiers: `unit` needs no services; `integration` talks to the real broker and registry;
 * `hostile` is the red-team suite (unit-level and against the real broker);
 * `faults` stops, kills and poisons brokers and processes of its own.
 */
// Type checking is `npm run lint`'s job (tsc); tests transpile file by file (tsconfig isolatedModules).
const tsJest = ['ts-jest', { diagnostics: false }];
// The tiers on real services: figures printed only when a test fails, and the kafka-quota
// executor's ES-only admin client loaded by Node (test/helpers/environment.js).
const servicesEnvironment = {
  testEnvironment: '<rootDir>/test/helpers/environment.js',
  testEnvironmentOptions: { esm: ['@platformatic/kafka'] },
  moduleNameMapper: { '^@platformatic/kafka$': '<rootDir>/test/helpers/esm-module.js' },
};
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      setupFilesAfterEnv: ['<rootDir>/test/helpers/unit-timeout.ts'],
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      ...servicesEnvironment,
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
      globalTeardown: '<rootDir>/test/helpers/globalTeardown.ts',
      setupFilesAfterEnv: [
        '<rootDir>/test/helpers/integration-timeout.ts',
        '<rootDir>/test/helpers/kafkajs-patches-setup.ts',
      ],
    },
    {
      // The red-team suite: hostile producers, forged control records and commands, inputs
      // built to stall or exhaust the processor. Talks to the real broker and registry where a
      // finding involves Kafka (`npm run test:hostile`; part of `npm test`).
      displayName: 'hostile',
      ...servicesEnvironment,
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/hostile/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
      globalTeardown: '<rootDir>/test/helpers/globalTeardown.ts',
      setupFilesAfterEnv: [
        '<rootDir>/test/helpers/integration-timeout.ts',
        '<rootDir>/test/helpers/kafkajs-patches-setup.ts',
      ],
    },
    {
      // Faults on brokers of their own (never the shared one): `npm run test:faults`, serially.
      displayName: 'faults',
      ...servicesEnvironment,
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      globalSetup: '<rootDir>/test/faults/globalSetup.ts',
      globalTeardown: '<rootDir>/test/faults/globalTeardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/faults/setup-timeout.ts', '<rootDir>/test/helpers/kafkajs-patches-setup.ts'],
    },
  ],
};
