// Preloaded into a process under test (node -r): reports its peak resident memory when it exits.
process.on('exit', () => {
  process.stderr.write(`MAXRSS=${process.resourceUsage().maxRSS}\n`);
});
