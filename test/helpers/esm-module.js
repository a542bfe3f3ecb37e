'use strict';
// An ES-only dependency as Node loaded it, outside jest's sandbox: see environment.js.
// moduleNameMapper maps exactly one name here per project (@platformatic/kafka).
const modules = globalThis.__esmModules ?? {};
const name = '@platformatic/kafka';
if (!(name in modules)) {
  throw new Error(`${name} is mapped for jest but not loaded: the project needs testEnvironment test/helpers/environment.js with testEnvironmentOptions.esm ['${name}']`);
}
module.exports = modules[name];
