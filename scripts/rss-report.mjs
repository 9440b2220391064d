// Preloaded with `node --import`: prints the process's peak RSS when it exits (read by scripts/examples-rss.ts).
process.on('exit', () => process.stderr.write(`\nmaxRSS_KiB=${process.resourceUsage().maxRSS}\n`));
