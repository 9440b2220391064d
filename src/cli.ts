#!/usr/bin/env node
// The `tapegrad` bin: runs the command line (src/cli/main.ts) on this process's arguments and sets its exit code.
import { runCli } from './cli/main.js';

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
