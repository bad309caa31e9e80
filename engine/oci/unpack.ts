// A layer tar unpacked into a snapshot's tree, for a layer msbuild wrote as a tar (a COPY's) that a
// later step needs mounted: GNU tar, as root, keeps owners, modes, times, links, devices and fifos,
// and of the xattrs only security.capability. Only layers msbuild wrote from entries are unpacked
// (never an upper dir's, which may hold whiteouts: those snapshots keep their tree).
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { OciError } from './errors.js';

/** Unpacks `tar` into the new dir `dest` (removed again if unpacking fails). */
export async function unpackLayer(tar: string, dest: string, signal?: AbortSignal): Promise<void> {
  await mkdir(dest, { recursive: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        'tar',
        [
          '-x',
          '-f',
          tar,
          '-C',
          dest,
          '--numeric-owner',
          '--same-owner',
          '--same-permissions',
          '--xattrs',
          '--xattrs-include=security.capability',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], ...(signal ? { signal } : {}) },
      );
      let errors = '';
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      child.on('error', (error) => reject(new OciError('OCI_UNPACK', `cannot run tar: ${error.message}`)));
      child.on('close', (code) => {
        if (code === 0) resolve();
        else
          reject(new OciError('OCI_UNPACK', `unpacking a layer failed: ${errors.trim() || `tar exit code ${code}`}`));
      });
    });
  } catch (error) {
    await rm(dest, { recursive: true, force: true });
    throw error;
  }
}
