// PipelinePki: mTLS setup: this task's inputs become one `pipeline-pki mtls setup` command line.
// [input, option, shape, required]; the CLI itself writes the ##vso output variables (--ci azure).
require('./pipeline-pki-task').run(['mtls', 'setup'], [
  ['cert', '--cert', 'value', true],
  ['key', '--key', 'value', true],
  ['ca', '--ca', 'value'],
  ['for', '--for', 'lines', true],
  ['state', '--state', 'value'],
  ['allowExpired', '--allow-expired', 'flag'],
  ['verbose', '--verbose', 'flag'],
]);
