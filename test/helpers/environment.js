'use strict';
/**
 * jest's node environment, with two additions for the tiers that talk to real services:
 *
 * - Figures on failure. A test hands the figures it measured to reportFigures
 *   (test/helpers/figures.ts); a passing test prints nothing, a failing one gets them added
 *   to its failure, where they help the most.
 * - ES-only dependencies loaded by Node. jest's module loader cannot require an ES module
 *   (Node can, from 20.19), and importing one from inside the sandbox needs an experimental
 *   vm feature and its warning. The names in testEnvironmentOptions.esm are imported here,
 *   outside the sandbox, where import() is Node's; the project's moduleNameMapper maps each
 *   to test/helpers/esm-module.js, which hands the sandbox this copy.
 */
const { TestEnvironment } = require('jest-environment-node');

class HomeostatEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.esm = config.projectConfig.testEnvironmentOptions.esm ?? [];
  }

  async setup() {
    await super.setup();
    const modules = {};
    for (const name of this.esm) modules[name] = await import(name);
    this.global.__esmModules = modules;
    this.global.__testFigures = [];
  }

  handleTestEvent(event) {
    if (event.name === 'test_start') this.global.__testFigures.length = 0;
    if (event.name === 'test_done' && event.test.errors.length > 0 && this.global.__testFigures.length > 0) {
      const error = new Error('figures');
      error.stack = `The figures this test measured before it failed:\n${this.global.__testFigures.map((f) => `  ${f}`).join('\n')}`;
      event.test.errors.push(error);
    }
  }
}

module.exports = HomeostatEnvironment;
