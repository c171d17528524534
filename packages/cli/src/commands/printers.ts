/** `scan2print printers [--json]`: the printer and material catalogue core ships (values with their sources). */
import type { Command } from 'commander';
import { PRINT_CATALOGUE } from '@scan2print/core';
import type { RegisterCommand } from './index.js';

const money = (p: { value: number | null; currency: string | null }, per: string): string => (p.value === null ? 'not set' : `${p.value} ${p.currency ?? '?'}${per}`);

export const registerPrinters: RegisterCommand = (program: Command) => {
  program
    .command('printers')
    .description('list the printer and material catalogue (build volume, technology, layer height, minimum feature, nozzle, machine rate, set-up and material prices, materials; every value with its source)')
    .option('--json', 'the whole catalogue as JSON, sources included')
    .addHelpText('after', '\nExamples:\n  $ scan2print printers\n  $ scan2print printers --json\n')
    .action((opts: { json?: boolean }) => {
      const c = PRINT_CATALOGUE;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
        return;
      }
      const lines = [`catalogue ${c.version}`, '', 'printers:'];
      for (const p of c.printers) {
        const lh = p.layerHeight_mm.value ? `${p.layerHeight_mm.value[0]}–${p.layerHeight_mm.value[1]} mm layers` : 'layers: not recorded';
        const nozzle = p.nozzle_mm?.value ? `, nozzle ${p.nozzle_mm.value} mm` : '';
        lines.push(`  ${p.id.padEnd(20)} ${p.technology.padEnd(8)} ${p.buildVolume_mm.value.join(' × ').padEnd(16)} mm  ${lh}, min feature ${p.minFeature_mm.value} mm${nozzle}, rate ${money(p.machineRate_per_h, '/h')}, set-up ${money(p.setup, '')}  (${p.name})`);
      }
      lines.push('', 'materials:');
      for (const m of c.materials) {
        const flag = (v: boolean | null): string => (v === null ? '?' : v ? 'yes' : 'no');
        lines.push(`  ${m.id.padEnd(22)} ${m.technology.padEnd(8)} density ${m.density_g_cm3.value ?? '?'} g/cm³, price ${money(m.pricePerKg, '/kg')}, biocompatible ${flag(m.biocompatible.value)}, sterilisable ${flag(m.sterilisable.value)}  (${m.name})`);
      }
      lines.push('', 'prices: none shipped (they depend on supplier and date); give yours to `scan2print quote` with --rate/--price-per-kg/--setup or --catalogue FILE', 'sources: scan2print printers --json');
      process.stdout.write(`${lines.join('\n')}\n`);
    });
};
