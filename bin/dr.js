#!/usr/bin/env node
// Runs the operator CLI from the TypeScript sources through tsx, so `npx dr` works without a build step.
'use strict';
require('tsx/cjs');
require('../src/cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
