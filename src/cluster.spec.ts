import { workerExecArgv } from './cluster.js';

describe('workerExecArgv', () => {
  it("adds the old generation's limit to the primary's flags", () => {
    expect(workerExecArgv(['--max-semi-space-size=16'], undefined, 512)).toEqual([
      '--max-semi-space-size=16',
      '--max-old-space-size=512',
    ]);
  });

  it('leaves a limit the operator set alone, on the command line or in NODE_OPTIONS', () => {
    for (const own of [
      '--max-old-space-size=2048',
      '--max_old_space_size=2048',
      '--max-heap-size=900',
    ])
      expect(workerExecArgv([own], undefined, 512)).toEqual([own]);
    expect(workerExecArgv([], '--enable-source-maps --max-old-space-size=300', 512)).toEqual([]);
  });

  it('adds nothing when WORKER_MAX_OLD_SPACE_MB is 0', () => {
    expect(workerExecArgv(['--inspect'], undefined, 0)).toEqual(['--inspect']);
  });
});
