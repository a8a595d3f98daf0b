/**
 * Which decorator mode this run was compiled with. The same spec files run in
 * both (`npm run test:legacy`, `npm run test:standard`) and compile under both
 * tsconfigs, so no spec uses syntax only one mode accepts: mode-specific
 * expectations (an error's wording, `design:*` metadata) are guarded by this
 * runtime check instead of living in files excluded per mode.
 */
export type DecoratorMode = 'legacy' | 'standard';

let detected: DecoratorMode | undefined;

function probe(...args: any[]): void {
  const context: unknown = args[1];
  detected = typeof context === 'object' && context !== null && 'kind' in context ? 'standard' : 'legacy';
}

export class ModeProbe {
  @probe
  method(): void {}
}

export const decoratorMode: DecoratorMode = detected!;
export const isLegacy = decoratorMode === 'legacy';
export const isStandard = decoratorMode === 'standard';
