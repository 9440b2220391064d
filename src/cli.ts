#!/usr/bin/env node
// The `tapegrad` command line. Subcommands arrive with the Keras import work (summary, predict, inspect).
const args = process.argv.slice(2);
const cmd = args[0];
if (!cmd || cmd === '--help' || cmd === '-h') {
  console.log('usage: tapegrad <command>\n\ncommands:\n  version   print the version');
  process.exit(0);
}
if (cmd === 'version') {
  console.log('tapegrad 0.1.0');
  process.exit(0);
}
console.error(`tapegrad: unknown command '${cmd}' (try --help)`);
process.exit(2);
