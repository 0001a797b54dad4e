// Writes the CustomResourceDefinitions generated from src/api/v1alpha1.ts to
// crds/ and charts/tributary-operator/crds/ (identical files; a test checks both
// are current):   node operator/src/api/generate.ts   (or: make crds)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump } from 'js-yaml';
import { crds } from './v1alpha1.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const crdDirs = ['crds', 'charts/tributary-operator/crds'];

/** file name → YAML text, as committed. */
export function renderCrds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [plural, crd] of Object.entries(crds)) {
    const text = '# Generated from operator/src/api/v1alpha1.ts by operator/src/api/generate.ts; do not edit.\n'
      + dump(crd, { noRefs: true });
    out.set(`${plural}.yaml`, text);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const dir of crdDirs) {
    fs.mkdirSync(path.join(repoRoot, dir), { recursive: true });
    for (const [file, text] of renderCrds()) fs.writeFileSync(path.join(repoRoot, dir, file), text);
  }
  console.log(`wrote ${[...renderCrds().keys()].join(', ')} to ${crdDirs.join(' and ')}`);
}
