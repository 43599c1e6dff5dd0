// PipelinePki: install CLI. The extension ships pipeline-pki once, in this task (five copies would
// not fit the marketplace's 25 MB); this puts it on PATH for the job's later PipelinePki tasks.
'use strict';
const fs = require('fs');
const path = require('path');
const tl = require('azure-pipelines-task-lib/task');

try {
  const rid = process.platform === 'win32' ? 'win-x64' : `${process.platform}-${process.arch}`;
  const exe = path.join(__dirname, 'bin', rid, rid === 'win-x64' ? 'pipeline-pki.exe' : 'pipeline-pki');
  if (!fs.existsSync(exe)) throw new Error(`this extension has no pipeline-pki build for ${rid}; use a linux-x64 agent`);
  // tfx drops the exec bit when it packs the extension.
  if (rid !== 'win-x64') fs.chmodSync(exe, 0o755);
  const version = tl.tool(exe).arg('--version').execSync({ silent: true });
  if (version.code !== 0) throw new Error(`${exe} --version exited with ${version.code}: ${version.stderr}`);
  tl.prependPath(path.dirname(exe));
  tl.setVariable('pipelinePkiPath', exe, false, true);
  tl.setResult(tl.TaskResult.Succeeded, `pipeline-pki ${version.stdout.trim()} on PATH`);
} catch (error) {
  tl.setResult(tl.TaskResult.Failed, error.message);
}
