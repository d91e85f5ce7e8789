// The compiler checks `layers:` against src/core/backbones.ts; the engine taps the layers its architecture tables
// name. They are two tables, so this test is what keeps them one list.
import { describe, expect, it } from 'vitest';
import { BACKBONE_LAYERS } from '../../core/backbones.js';
import { ARCHITECTURES, layerNamesOf, type ArchName } from './architectures.js';

describe('backbone layer tables', () => {
  it('every backbone the compiler accepts has an architecture tapping exactly its layers, in order', () => {
    for (const [name, layers] of Object.entries(BACKBONE_LAYERS)) {
      expect(Object.keys(ARCHITECTURES)).toContain(name);
      expect(layerNamesOf(name as ArchName)).toEqual(layers);
    }
  });
});
