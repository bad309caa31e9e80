// Commands and directories for tests and the bench, without ava (the bench and scripts import it):
// the docker CLI's path, a command's exit code and output (command.ts), a directory removed.
import { rm } from 'node:fs/promises';

export { runCommand, type CommandResult } from './command.js';

export const dockerCli = '/usr/bin/docker';

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}
