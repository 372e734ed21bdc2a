// `pnpm demo`: scripted calls through the real flows, on local AWS, with no AWS account.
import { runDemo } from './lib/demo.js';

const code = await runDemo({ write: (text) => process.stdout.write(text) });
process.exitCode = code;
