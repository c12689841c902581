// One Euro filter (G. Casiez, N. Roussel, D. Vogel, "1€ Filter: a simple speed-based low-pass
// filter for noisy input in interactive systems", CHI 2012): smooths landmarks when the face
// is still (no colour jitter) and follows quickly when it moves (no lag).
export class OneEuro {
  constructor({ minCutoff = 1.0, beta = 0.02, dCutoff = 1.0 } = {}) {
    Object.assign(this, { minCutoff, beta, dCutoff });
    this.x = null; this.dx = null; this.t = null;
  }
  static alpha(cutoff, dt) {
    const tau = 1 / (2 * Math.PI * cutoff);
    return 1 / (1 + tau / dt);
  }
  filter(values, tSeconds) {
    if (this.x === null || values.length !== this.x.length) {
      this.x = Float64Array.from(values); this.dx = new Float64Array(values.length);
      this.t = tSeconds; return this.x;
    }
    const dt = Math.max(tSeconds - this.t, 1e-3);
    this.t = tSeconds;
    const ad = OneEuro.alpha(this.dCutoff, dt);
    for (let k = 0; k < values.length; k++) {
      const d = (values[k] - this.x[k]) / dt;
      this.dx[k] = ad * d + (1 - ad) * this.dx[k];
      const a = OneEuro.alpha(this.minCutoff + this.beta * Math.abs(this.dx[k]), dt);
      this.x[k] = a * values[k] + (1 - a) * this.x[k];
    }
    return this.x;
  }
}
