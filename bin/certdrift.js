#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (`npm run build`, done by `npm install`).
import('../dist/cli/main.js').then(
  (cli) => cli.main(process.argv.slice(2)),
  (err) => {
    process.stderr.write(
      `certdrift: not built (${err.message}); run \`npm install\` or \`npm run build\`\n`,
    );
    process.exit(3);
  },
);
