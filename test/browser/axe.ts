/**
 * axe-core's accessibility check on the page as it is now. axe is evaluated through the
 * DevTools protocol (not a <script> tag), so the app's Content-Security-Policy stays on.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Violations of impact serious or critical (WCAG 2.1 A and AA rules, and axe's best practices). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const has = await page.evaluate('typeof window.axe === "object"');
  if (!has) await page.evaluate(`${AXE_SOURCE}\n;true`);
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
}
