// Entry point of the `skiff` command: picks the subcommand and reports usage errors plainly.

// Each command's module is loaded when it runs: the server does not carry the agent's or the
// other commands' code (idle memory).
import { FlagError } from './flags.ts';

const USAGE = `Usage: skiff <command> [flags]

Commands:
  server     run a one-node cluster (API server with an embedded datastore)
  scheduler  run the scheduler alone against a cluster (leader-elected)
  agent      run the node agent alone, joining a cluster (runs its pods as containers)
  images     list, import, pull and remove the node agent's images (ls|import|pull|rm)
  reset-node stop the agent's containers and remove what it put on this machine
  sim-nodes  register simulated nodes (capacity planning, benchmarks)
  version    print the version

Run 'skiff <command> --help' for the flags of a command.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'server':
      await (await import('./server.ts')).runServer(args);
      return -1; // keeps running until a signal
    case 'scheduler':
      await (await import('./scheduler.ts')).runScheduler(args);
      return -1; // exits on its own after a signal or lost leadership
    case 'agent':
      await (await import('./agent.ts')).runAgent(args);
      return -1; // exits on its own after a signal
    case 'images':
      await (await import('./images.ts')).runImages(args);
      return typeof process.exitCode === 'number' ? process.exitCode : 0;
    case 'reset-node':
      await (await import('./agent.ts')).runResetNode(args);
      return 0;
    case 'sim-nodes':
      await (await import('./simnodes.ts')).runSimNodes(args);
      return -1; // exits on its own after a signal
    case 'version':
      process.stdout.write('skiff v0.1.0 (Kubernetes API v1.32)\n');
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`skiff: unknown command "${cmd}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    if (err instanceof FlagError) {
      process.stderr.write(`skiff: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`skiff: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
