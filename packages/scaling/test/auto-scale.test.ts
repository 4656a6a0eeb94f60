import { fixedPreScale, GradientAutoScaler, preScaleByName } from '@fp8lm/scaling';
import { describe, expect, it } from 'vitest';
import { rng } from './helpers/reference.js';

const TOTAL = 1_000_000; // threshold 1e-5 → more than 10 saturated values halve μ

describe('GradientAutoScaler (FP8-LM μ)', () => {
  it('starts at 1 and rises to 2 over the first window of clean steps', () => {
    const auto = new GradientAutoScaler();
    expect(auto.mu).toBe(1);
    for (let i = 1; i < 1000; i++) {
      auto.update(0, TOTAL);
      expect(auto.mu).toBeLessThan(2);
    }
    expect(auto.update(0, TOTAL)).toBe(2);
  });

  it('halves when the saturated fraction exceeds the threshold, not when it equals it', () => {
    const auto = new GradientAutoScaler({ initialMu: 2 });
    expect(auto.update(10, TOTAL)).toBe(2); // exactly 1e-5: not above
    expect(auto.update(11, TOTAL)).toBe(1);
    const grown = auto.update(1, 100_000); // 1e-5 exactly again: grows by 2^(1/1000)
    expect(grown).toBeCloseTo(2 ** (1 / 1000), 6);
    expect(grown).toBeGreaterThan(1);
    expect(auto.update(2, 100_000)).toBe(grown / 2); // halving is exact
  });

  it('recovers from one halving to exactly maxMu in `window` clean steps, exponentially', () => {
    for (const [window, maxMu] of [
      [1000, 2],
      [10, 2],
      [7, 4],
      [1, 2],
    ]) {
      const auto = new GradientAutoScaler({ window, maxMu, initialMu: maxMu });
      auto.update(TOTAL, TOTAL);
      expect(auto.mu).toBe(maxMu / 2);
      let prev = auto.mu;
      for (let i = 1; i <= window; i++) {
        const mu = auto.update(0, TOTAL);
        // Hand-derived: after i clean steps μ = (maxMu / 2) · 2^(i / window).
        expect(mu).toBeCloseTo((maxMu / 2) * 2 ** (i / window), 6);
        expect(mu).toBeGreaterThan(prev);
        if (i < window) expect(mu).toBeLessThan(maxMu);
        prev = mu;
      }
      expect(auto.mu).toBe(maxMu);
    }
  });

  it('undoes k halvings in k windows', () => {
    const auto = new GradientAutoScaler({ window: 50, initialMu: 2 });
    for (let k = 0; k < 3; k++) auto.update(100, 100);
    expect(auto.mu).toBe(0.25);
    for (let i = 0; i < 100; i++) auto.update(0, 100);
    expect(auto.mu).toBe(1);
    for (let i = 0; i < 50; i++) auto.update(0, 100);
    expect(auto.mu).toBe(2);
  });

  it('never exceeds maxMu nor goes below minMu under random saturation', () => {
    const r = rng(42);
    const auto = new GradientAutoScaler({ window: 20, minMu: 2 ** -4 });
    for (let i = 0; i < 5000; i++) {
      const saturated = r() < 0.3 ? Math.floor(r() * 100) : 0;
      const mu = auto.update(saturated, 1000);
      expect(mu).toBeLessThanOrEqual(2);
      expect(mu).toBeGreaterThanOrEqual(2 ** -4);
      expect(Math.fround(mu)).toBe(mu);
    }
    for (let i = 0; i < 100; i++) auto.update(1000, 1000);
    expect(auto.mu).toBe(2 ** -4);
    // Halvings at the floor are not banked: one window of clean steps doubles μ from the floor.
    for (let i = 0; i < 20; i++) auto.update(0, 1000);
    expect(auto.mu).toBe(2 ** -3);
  });

  it('treats an empty step as clean', () => {
    const auto = new GradientAutoScaler({ window: 1, initialMu: 1 });
    expect(auto.update(0, 0)).toBe(2);
  });

  it('round-trips through JSON', () => {
    const auto = new GradientAutoScaler({ window: 100, threshold: 1e-4 });
    auto.update(50, 100);
    for (let i = 0; i < 37; i++) auto.update(0, 100);
    const back = GradientAutoScaler.fromJSON(JSON.stringify(auto));
    expect(back.mu).toBe(auto.mu);
    expect(back.toJSON()).toEqual(auto.toJSON());
    expect(back.update(0, 1)).toBe(auto.update(0, 1));
    expect(() => GradientAutoScaler.fromJSON({ ...auto.toJSON(), window: 0 })).toThrow(/^json\.window/);
    expect(() => GradientAutoScaler.fromJSON({ ...auto.toJSON(), deficit: 1e9 })).toThrow(/^json\.deficit/);
  });
});

describe('fixed and named pre-scales', () => {
  it('fixedPreScale is 1/sqrt(N) as a float32', () => {
    expect(fixedPreScale(1)).toBe(1);
    expect(fixedPreScale(4)).toBe(0.5);
    expect(fixedPreScale(64)).toBe(0.125);
    expect(fixedPreScale(8)).toBe(Math.fround(Math.SQRT1_2 / 2));
  });

  it('preScaleByName selects auto, fixed or none', () => {
    const auto = preScaleByName('auto', { window: 3, initialMu: 2 });
    expect(auto).toBeInstanceOf(GradientAutoScaler);
    expect(auto.update(1, 1)).toBe(1);
    const fixed = preScaleByName('fixed', { worldSize: 16 });
    expect([fixed.name, fixed.mu, fixed.update(5, 5)]).toEqual(['fixed', 0.25, 0.25]);
    const none = preScaleByName('none');
    expect([none.name, none.mu, none.update(5, 5)]).toEqual(['none', 1, 1]);
    expect(() => preScaleByName('fixed')).toThrow(/^options\.worldSize: required/);
    expect(() => preScaleByName('sqrt' as never)).toThrow(
      /^name: expected one of 'auto', 'fixed', 'none', found "sqrt"/,
    );
  });
});
