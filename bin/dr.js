#!/usr/bin/env node
// Runs the operator CLI from the TypeScript sources through tsx, so `npx dr` works without a build step. This
// launcher is the CLI's composition root in a clone: it installs the local simulator support (`--sim`).
'use strict';
require('tsx/cjs');
require('../local/cli/simulator.ts').installLocalCli();
require('../src/cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
