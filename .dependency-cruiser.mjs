// The structure's rules, checked by `npm run lint` (depcruise): no import cycles between files or
// folders, and the infrastructure folders stacked in one direction, none of them naming a domain module.
const DOMAIN = '^src/(access|archive|changes|health|items|pricing|root|stores|warranties)/';
const INFRASTRUCTURE = '^src/(common|config|database|http|metrics|openapi|tracing)/';

/** `folder` may import only from itself and the folders listed (besides packages). */
const onlyFrom = (folder, allowed) => ({
  name: `${folder}-imports-only-${allowed.join('-') || 'itself'}`,
  comment: `src/${folder} sits below everything but ${allowed.map((f) => `src/${f}`).join(', ') || 'itself'}`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: '^src/', pathNot: `^src/(${[folder, ...allowed].join('|')})/` },
});

export default {
  forbidden: [
    { name: 'no-circular', comment: 'a file cycle', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'no-folder-cycles',
      comment: 'two folders that import each other',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'infrastructure-names-no-domain',
      comment: 'infrastructure is shared by every module and depends on none',
      severity: 'error',
      from: { path: INFRASTRUCTURE },
      to: { path: DOMAIN },
    },
    onlyFrom('common', []),
    onlyFrom('config', ['common']),
    onlyFrom('database', ['common', 'config', 'tracing']),
    onlyFrom('metrics', ['common', 'config', 'tracing']),
    onlyFrom('tracing', ['common', 'config']),
    onlyFrom('http', ['common', 'config', 'database', 'metrics', 'tracing']),
    onlyFrom('openapi', ['common', 'config', 'http']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
