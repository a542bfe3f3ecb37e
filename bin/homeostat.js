#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI lives in dist/cli (run `npm run build` first when working from a clone).
require('../dist/cli/main.js')
  .main(process.argv)
  .then((code) => { process.exitCode = code; })
  .catch((err) => { console.error(err && err.stack ? err.stack : String(err)); process.exitCode = 1; });
