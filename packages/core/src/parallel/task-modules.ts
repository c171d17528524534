/**
 * Which module registers a worker task, so a worker loads a task module only when it first
 * runs one of its tasks. Loading every task module (all-tasks.ts) cost a worker about 120 ms of
 * CPU on the 2-core bench machine, half of it zod (95 modules) pulled in by segment/tasks.ts,
 * which the default convert never runs on the pool; the modules of its tasks (surface, formats)
 * load in about half that. Modules are found by the task's name, not by its name constant
 * (importing that would load the module); worker.spec.ts checks this against all-tasks.ts.
 */
type Load = () => Promise<unknown>;

const resample: Load = () => import('../geometry/resample-tasks.js');
const dicom: Load = () => import('../dicom/assemble-tasks.js');
const assess: Load = () => import('../assess/tasks.js');
const segment: Load = () => import('../segment/tasks.js');
const forest: Load = () => import('../segment/forest/tasks.js');
const evaluate: Load = () => import('../evaluate/tasks.js');
const isosurface: Load = () => import('../surface/isosurface/tasks.js');
const surface: Load = () => import('../surface/tasks.js');
const edge: Load = () => import('../surface/edge/tasks.js');
const formats: Load = () => import('../formats/tasks.js');

/**
 * Task names start with their module's folder ("segment.forest.eval"): the longest prefix here
 * that begins a name picks the module, so a task added to a listed module needs no new line.
 */
const MODULE_BY_PREFIX: ReadonlyArray<readonly [string, Load]> = [
  ['geometry.', resample],
  ['dicom.', dicom],
  ['assess.', assess],
  ['segment.forest.', forest],
  ['segment.', segment],
  ['evaluate.', evaluate],
  ['surface.isosurface', isosurface],
  ['surface.edge.', edge],
  ['surface.', surface],
  ['formats.', formats],
];

/** Loads the module that registers `task`; false for a name no listed module would register. */
export async function loadTaskModule(task: string): Promise<boolean> {
  let best: readonly [string, Load] | undefined;
  for (const entry of MODULE_BY_PREFIX) if (task.startsWith(entry[0]) && entry[0].length > (best?.[0].length ?? -1)) best = entry;
  if (!best) return false;
  await best[1]();
  return true;
}
