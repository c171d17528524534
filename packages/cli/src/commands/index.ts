import type { Command } from 'commander';

/**
 * A command registers itself on the program. `setExit` lets an action return a
 * non-zero exit code without throwing (e.g. a gate that refuses an export).
 */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

type LoadCommand = () => Promise<RegisterCommand>;

// Each command lives in its own file and adds itself to this list, in the order --help lists them.
const MODULES: ReadonlyArray<readonly [names: readonly string[], load: LoadCommand]> = [
  [['anonymise', 'anonymize'], async () => (await import('./anonymise.js')).registerAnonymise],
  [['evaluate'], async () => (await import('./evaluate.js')).registerEvaluate],
  [['inspect'], async () => (await import('./inspect.js')).registerInspect],
  [['export-volume'], async () => (await import('./export-volume.js')).registerExportVolume],
  [['segment'], async () => (await import('./segment.js')).registerSegment],
  [['mesh'], async () => (await import('./mesh.js')).registerMesh],
  [['convert'], async () => (await import('./convert.js')).registerConvert],
  [['demo'], async () => (await import('./demo.js')).registerDemo],
  [['validate'], async () => (await import('./validate.js')).registerValidate],
  [['serve', 'worker'], async () => (await import('./serve.js')).registerServe],
  [['upload'], async () => (await import('./upload.js')).registerUpload],
  [['audit'], async () => (await import('./audit.js')).registerAudit],
  [['prepare'], async () => (await import('./prepare.js')).registerPrepare],
  [['printers'], async () => (await import('./printers.js')).registerPrinters],
  [['quote'], async () => (await import('./quote.js')).registerQuote],
  [['train'], async () => (await import('./train.js')).registerTrain],
];

/** Every command name and alias the table knows, each with the module that registers it. */
export function commandNames(): string[] {
  return MODULES.flatMap(([names]) => names);
}

/**
 * The commands to register for these arguments: only the named command's module when the first
 * argument names one (`convert …`: the other fifteen modules, ~40 ms of CPU, are not loaded),
 * every command otherwise (--help, --version, `help …`, a mistyped name that commander answers
 * with a suggestion). commands/index.spec.ts checks the names against what each module registers.
 */
export async function loadCommands(argv: readonly string[]): Promise<RegisterCommand[]> {
  const first = argv[0];
  const one = MODULES.find(([names]) => first !== undefined && names.includes(first));
  return Promise.all((one ? [one] : MODULES).map(([, load]) => load()));
}
