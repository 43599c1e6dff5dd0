// PipelinePki: check certificates: this task's inputs become one `pipeline-pki cert check` command line.
// [input, option, shape, required]; the CLI itself writes the ##vso output variables (--ci azure).
require('./pipeline-pki-task').run(['cert', 'check'], [
  ['targets', '', 'args', true],
  ['minRemaining', '--min-remaining', 'value'],
  ['warnRemaining', '--warn-remaining', 'value'],
  ['trust', '--trust', 'lines'],
  ['untrusted', '--untrusted', 'lines'],
  ['crl', '--crl', 'lines'],
  ['revocation', '--revocation', 'value'],
  ['softFail', '--soft-fail', 'flag'],
  ['timeout', '--timeout', 'value'],
  ['verbose', '--verbose', 'flag'],
]);
