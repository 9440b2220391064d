// Minimal types for the parts of ConvNetJS (untyped CommonJS) the benchmark uses.
declare module 'convnetjs' {
  export class Vol {
    constructor(sx: number, sy: number, depth: number, c?: number);
    w: Float64Array;
  }
  export class Net {
    makeLayers(defs: Record<string, unknown>[]): void;
    forward(v: Vol, isTraining?: boolean): Vol;
  }
  export class Trainer {
    constructor(net: Net, opts: Record<string, unknown>);
    train(x: Vol, y: number): { loss: number };
  }
}
