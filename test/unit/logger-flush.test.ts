import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createLogger, flushLogs } from '../../src/logger.js';

/**
 * A named pipe standing for the service's stdout: the test holds the read end and can close it (a log collector
 * that went away) or never read it (one that stopped reading).
 */
function pipeToStdout(): { writeFd: number; closeReader: () => void; dispose: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'log-pipe-'));
  const fifo = path.join(dir, 'stdout');
  execFileSync('mkfifo', [fifo]);
  let readFd: number | undefined = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(fifo, constants.O_WRONLY);
  const closeReader = () => {
    if (readFd !== undefined) closeSync(readFd);
    readFd = undefined;
  };
  return { writeFd, closeReader, dispose: () => (closeReader(), rmSync(dir, { recursive: true, force: true })) };
}

/** The service's destination (asynchronous, batched) on the pipe. */
function serviceLogger(fd: number) {
  const destination = pino.destination({ dest: fd, sync: false, minLength: 4096 });
  const logger = createLogger('info', destination as unknown as NodeJS.WritableStream);
  const writingFlushSync = destination.flushSync;
  // Set by sonic-boom when destroyed; its type declarations leave it out.
  const destroyed = () => (destination as unknown as { destroyed: boolean }).destroyed;
  /**
   * What pino's exit hook would do with the destination: nothing when it is destroyed, and nothing when pino has
   * replaced its flushSync after an EPIPE; otherwise a synchronous write of whatever is pending.
   */
  const exitHookIsHarmless = () => destroyed() || destination.flushSync !== writingFlushSync;
  return { destination, logger, exitHookIsHarmless, destroyed };
}

/** A destroyed destination closes its descriptor itself (asynchronously); otherwise the test does. */
async function release(destination: ReturnType<typeof pino.destination>, destroyed: boolean, fd: number): Promise<void> {
  if (destroyed) await new Promise((resolve) => destination.once('close', resolve));
  else closeSync(fd);
}

describe('logger: flushLogs before a deliberate exit', function () {
  this.timeout(10_000);

  it('writes the lines logged while a batch was on its way, then leaves nothing for the exit hook', async () => {
    const pipe = pipeToStdout();
    const { destination, logger, exitHookIsHarmless, destroyed } = serviceLogger(pipe.writeFd);
    try {
      logger.info('shutting down');
      logger.flush(); // a batch on its way, as the periodic flush sends one
      logger.info('stopped'); // pending behind it: sonic-boom calls a flush done with this still unwritten
      await flushLogs(logger);
      // The reader goes away after the service has flushed (a collector restarting as the pod stops). pino's exit
      // hook would now write what is pending synchronously, retrying the EPIPE forever: it must find nothing.
      pipe.closeReader();
      expect(exitHookIsHarmless()).to.equal(true);
    } finally {
      pipe.dispose();
      await release(destination, destroyed(), pipe.writeFd);
    }
  });

  it('ends within its bound when the reader never reads, and still leaves nothing for the exit hook', async () => {
    const pipe = pipeToStdout();
    const { destination, logger, exitHookIsHarmless, destroyed } = serviceLogger(pipe.writeFd);
    try {
      // More than a pipe holds (64 KiB on Linux): the write blocks for as long as nobody reads.
      for (let i = 0; i < 200; i++) logger.info({ filler: 'x'.repeat(1_000) }, 'line');
      await flushLogs(logger, 300);
      expect(exitHookIsHarmless()).to.equal(true);
    } finally {
      // Unblocks the write left in the thread pool (EPIPE), so nothing of this test outlives it.
      pipe.dispose();
      await release(destination, destroyed(), pipe.writeFd);
    }
  });
});
