// Shared by the PipelinePki tasks (build.sh copies it into each task folder): turns the task's inputs
// into ONE pipeline-pki command line and runs it. Everything else (output variables, secret masks,
// error issues, the summary) is the CLI's own work through --ci azure, so this stays a mapping.
'use strict';
const tl = require('azure-pipelines-task-lib/task');

const lines = (value) => value.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);

/**
 * @param {string[]} command  the pipeline-pki command, e.g. ['cert', 'issue']
 * @param {Array<[string, string, 'value'|'lines'|'flag'|'args', boolean?]>} inputs  [input, option, shape, required]
 */
async function run(command, inputs) {
  try {
    const cli = tl.tool(tl.which('pipeline-pki', true)).arg(command);
    const positional = [];
    for (const [name, option, shape, required] of inputs) {
      const value = (tl.getInput(name, required === true) || '').trim();
      if (value.length === 0) continue;
      if (shape === 'flag') {
        if (tl.getBoolInput(name)) cli.arg(option);
      } else if (shape === 'lines') {
        for (const line of lines(value)) cli.arg([option, line]);
      } else if (shape === 'args') {
        positional.push(...lines(value));
      } else {
        cli.arg([option, value]);
      }
    }
    cli.arg(['--ci', 'azure']);
    // "--" keeps an artifact named like an option from being read as one.
    if (positional.length > 0) cli.arg('--').arg(positional);
    const code = await cli.execAsync({ ignoreReturnCode: true });
    if (code === 0) {
      tl.setResult(tl.TaskResult.Succeeded, '');
    } else {
      tl.setResult(tl.TaskResult.Failed, `pipeline-pki exited with ${code}; its error line above says why`);
    }
  } catch (error) {
    tl.setResult(tl.TaskResult.Failed, error.message);
  }
}

module.exports = { run };
