#!/usr/bin/env node
// Runs the operator CLI from the TypeScript sources through tsx, so `npx dr` works without a build step. This
// launcher is the CLI's composition root in a clone: it installs the local simulator support (`--sim`) and
// hands the CLI the process's streams and environment.
'use strict';
require('tsx/cjs');
require('../local/cli/simulator.ts').installLocalCli();
const { processIo } = require('../src/cli/io.ts');
require('../src/cli/main.ts')
  .main(process.argv.slice(2), processIo(process))
  .then((code) => {
    process.exitCode = code;
  });
