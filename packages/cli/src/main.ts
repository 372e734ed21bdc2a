import { run } from './cli.js';
import { onProcessSignals } from './context.js';

// A closed pipe (`flowguard blocklist export | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stderrIsTTY: process.stderr.isTTY === true,
  // `flowguard local` runs until SIGINT (Ctrl-C) or SIGTERM, then stops its servers and exits 0.
  onInterrupt: onProcessSignals,
});
