// Keras model configs for the keras-js layer cases: each case's one-layer (or small) model, written from the
// case's configuration line (cases.json) and the keras-js test harness, as Keras 2.1 JSON.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Parse Python-style `k=v, k2=(1,2), k3='same'` lists (values: numbers, strings, tuples, None, True, False). */
export function parseKwargs(s: string): Record<string, Json> {
  const out: Record<string, Json> = {};
  let i = 0;
  const ws = () => {
    while (s[i] === ' ') i++;
  };
  const value = (): Json => {
    ws();
    if (s[i] === '(' || s[i] === '[') {
      const close = s[i] === '(' ? ')' : ']';
      i++;
      const items: Json[] = [];
      ws();
      while (s[i] !== close) {
        items.push(value());
        ws();
        if (s[i] === ',') i++;
        ws();
      }
      i++;
      return items;
    }
    if (s[i] === "'" || s[i] === '"') {
      const q = s[i++];
      const j = s.indexOf(q, i);
      const v = s.slice(i, j);
      i = j + 1;
      return v;
    }
    const m = /^[^,)\]]+/.exec(s.slice(i))![0].trim();
    i += /^[^,)\]]+/.exec(s.slice(i))![0].length;
    if (m === 'None') return null;
    if (m === 'True') return true;
    if (m === 'False') return false;
    return Number(m);
  };
  const re = /([a-z_]+)\s*=/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    i = m.index + m[0].length;
    out[m[1]] = value();
    re.lastIndex = i;
  }
  return out;
}

/** A Sequential model config: the first layer gets the batch input shape. */
export function sequential(
  batchShape: (number | null)[],
  layers: { class_name: string; config: Record<string, Json> }[],
): Json {
  layers[0].config.batch_input_shape = batchShape;
  return {
    class_name: 'Sequential',
    keras_version: '2.1.2',
    backend: 'tensorflow',
    config: { name: 'sequential_1', layers },
  };
}

/** A functional config: `branches` parallel chains on one input, merged by `merge`. */
function branchesMerged(
  inShape: number[],
  branches: { class_name: string; config: Record<string, Json> }[][],
  merge: { class_name: string; config: Record<string, Json> },
): Json {
  const layers: Json[] = [
    {
      name: 'input_1',
      class_name: 'InputLayer',
      config: { batch_input_shape: [null, ...inShape], dtype: 'float32', sparse: false, name: 'input_1' },
      inbound_nodes: [],
    },
  ];
  const tails: string[] = [];
  let n = 0;
  for (const chain of branches) {
    let prev = 'input_1';
    for (const l of chain) {
      const name = `${l.class_name.toLowerCase()}_${++n}`;
      layers.push({
        name,
        class_name: l.class_name,
        config: { ...l.config, name },
        inbound_nodes: [[[prev, 0, 0, {}]]],
      });
      prev = name;
    }
    tails.push(prev);
  }
  layers.push({
    name: 'merge_1',
    class_name: merge.class_name,
    config: { ...merge.config, name: 'merge_1' },
    inbound_nodes: [tails.map((t) => [t, 0, 0, {}])],
  });
  return {
    class_name: 'Model',
    keras_version: '2.1.2',
    backend: 'tensorflow',
    config: {
      name: 'model_1',
      layers,
      input_layers: [['input_1', 0, 0]],
      output_layers: [['merge_1', 0, 0]],
    },
  };
}

const L = (class_name: string, config: Record<string, Json> = {}) => ({ class_name, config });

export interface CaseShapes {
  input: number[];
  expected: number[];
  weights: number[][];
}

/** The Keras model config of a case, or throws for a case this table does not know. */
export function caseConfig(
  id: string,
  description: string,
  s: CaseShapes,
): { config: Json; stateful?: boolean } {
  const [family, cls, idxStr] = id.split('.');
  const idx = Number(idxStr);
  const kw = parseKwargs(description ?? '');
  const inB = [null, ...s.input];
  if (family === 'activations') {
    if (cls === 'elu' && kw.alpha !== undefined)
      return { config: sequential(inB, [L('ELU', { alpha: kw.alpha })]) };
    if (cls === 'relu' && kw.max_value !== undefined)
      return { config: sequential(inB, [L('ReLU', { max_value: kw.max_value })]) };
    if (cls === 'relu' && kw.alpha !== undefined)
      return { config: sequential(inB, [L('ReLU', { negative_slope: kw.alpha })]) };
    return { config: sequential(inB, [L('Activation', { activation: cls })]) };
  }
  if (family === 'advanced_activations') {
    const cfg: Record<string, Json> = {
      LeakyReLU: { alpha: kw.alpha },
      PReLU: { shared_axes: null },
      ELU: { alpha: kw.alpha },
      ThresholdedReLU: { theta: kw.theta },
    }[cls]!;
    return { config: sequential(inB, [L(cls, cfg)]) };
  }
  if (family === 'core') {
    const acts = [
      'softmax',
      'elu',
      'selu',
      'softplus',
      'softsign',
      'relu',
      'tanh',
      'sigmoid',
      'hard_sigmoid',
      'linear',
    ];
    switch (cls) {
      case 'Activation':
        return {
          config: sequential(inB, [L('Dense', { units: 2 }), L('Activation', { activation: acts[idx] })]),
        };
      case 'Dense': {
        const k = idx % 3;
        return {
          config: sequential(inB, [
            L('Dense', { units: 2, activation: ['linear', 'sigmoid', 'softplus'][k], use_bias: k !== 2 }),
          ]),
        };
      }
      case 'Dropout':
        return { config: sequential(inB, [L('Dense', { units: 2 }), L('Dropout', { rate: 0.5 })]) };
      case 'Flatten':
        return { config: sequential(inB, [L('Flatten')]) };
      case 'Permute':
        return {
          config: sequential(inB, [
            L('Permute', {
              dims: [
                [2, 1],
                [3, 2, 1],
                [2, 1, 3],
                [3, 1, 2, 4],
              ][idx],
            }),
          ]),
        };
      case 'RepeatVector':
        return { config: sequential(inB, [L('RepeatVector', { n: s.expected[0] })]) };
      case 'Reshape':
        return { config: sequential(inB, [L('Reshape', { target_shape: s.expected })]) };
    }
  }
  if (family === 'embeddings') {
    const m = /input_dim (\d+), output_dim (\d+)/.exec(description)!;
    return {
      config: sequential(inB, [
        L('Embedding', {
          input_dim: Number(m[1]),
          output_dim: Number(m[2]),
          input_length: kw.input_length,
          mask_zero: kw.mask_zero,
        }),
      ]),
    };
  }
  if (family === 'merge') {
    const nBranches = s.weights.length / 2;
    const seqBranch = cls === 'Dot' || (cls === 'Concatenate' && idx > 0);
    const branch = () =>
      seqBranch ? [L('Dense', { units: 2 }), L('RepeatVector', { n: 3 })] : [L('Dense', { units: 2 })];
    const mcfg: Record<string, Json> =
      cls === 'Concatenate'
        ? { axis: kw.axis }
        : cls === 'Dot'
          ? { axes: kw.axes, normalize: kw.normalize }
          : {};
    return { config: branchesMerged(s.input, Array.from({ length: nBranches }, branch), L(cls, mcfg)) };
  }
  if (family === 'noise')
    return {
      config: sequential(inB, [
        L('Dense', { units: 2 }),
        L(cls, cls === 'GaussianNoise' ? { stddev: 0.5 } : { rate: 0.5 }),
      ]),
    };
  if (family === 'normalization')
    return {
      config: sequential(inB, [
        L('BatchNormalization', { epsilon: kw.epsilon, axis: kw.axis, center: kw.center, scale: kw.scale }),
      ]),
    };
  if (family === 'pooling') {
    const df = kw.data_format ?? 'channels_last';
    if (cls.startsWith('Global')) return { config: sequential(inB, [L(cls, { data_format: df })]) };
    return {
      config: sequential(inB, [
        L(cls, { pool_size: kw.pool_size, strides: kw.strides, padding: kw.padding, data_format: df }),
      ]),
    };
  }
  if (family === 'convolutional')
    return { config: sequential(inB, [L(cls, convConfig(cls, description, kw, s))]) };
  if (family === 'recurrent') {
    const stateful = kw.stateful === true;
    const cfg: Record<string, Json> = {
      units: kw.units,
      activation: kw.activation,
      use_bias: kw.use_bias ?? true,
      return_sequences: kw.return_sequences ?? false,
      go_backwards: kw.go_backwards ?? false,
      stateful,
    };
    if (cls !== 'SimpleRNN') cfg.recurrent_activation = kw.recurrent_activation;
    return { config: sequential(stateful ? [1, ...s.input] : inB, [L(cls, cfg)]), stateful };
  }
  if (family === 'wrappers') {
    if (cls === 'TimeDistributed') {
      const inner =
        idx === 0
          ? L('Dense', { units: 4 })
          : L('Conv2D', { filters: 6, kernel_size: [3, 3], padding: 'valid', data_format: 'channels_last' });
      return { config: sequential(inB, [L('TimeDistributed', { layer: inner as unknown as Json })]) };
    }
    const innerCls = /wrap a (\w+) layer/.exec(description)![1];
    const innerKw = parseKwargs(description.slice(description.indexOf('wrap a')));
    const icfg: Record<string, Json> = {
      units: innerKw.units,
      activation: innerKw.activation,
      return_sequences: innerKw.return_sequences,
    };
    if (innerCls !== 'SimpleRNN') icfg.recurrent_activation = innerKw.recurrent_activation;
    return {
      config: sequential(inB, [
        L('Bidirectional', { layer: L(innerCls, icfg) as unknown as Json, merge_mode: kw.merge_mode }),
      ]),
    };
  }
  throw new Error(`no config for case ${id}`);
}

function convConfig(cls: string, d: string, kw: Record<string, Json>, s: CaseShapes): Record<string, Json> {
  const df = kw.data_format ?? 'channels_last';
  const spatial = cls.match(/(\d)D/)![1];
  const rank = Number(spatial);
  if (/^(Conv|SeparableConv)/.test(cls)) {
    const m = /^(\d+) ([\dx]+|length (\d+)) filters/.exec(d)!;
    const ks = m[3] ? [Number(m[3])] : m[2].split('x').map(Number);
    const c: Record<string, Json> = {
      filters: Number(m[1]),
      kernel_size: ks,
      strides: kw.strides,
      padding: kw.padding,
      data_format: df,
      activation: kw.activation,
      use_bias: kw.use_bias,
    };
    if (kw.dilation_rate !== undefined) c.dilation_rate = kw.dilation_rate;
    if (kw.depth_multiplier !== undefined) c.depth_multiplier = kw.depth_multiplier;
    return c;
  }
  const num = (re: RegExp) => {
    const m = re.exec(d)!;
    return m[1];
  };
  if (cls.startsWith('Cropping')) {
    const c = parseKwargs(`c=${num(/cropping (.+) on/)}`).c;
    // NOTE: Cropping2D.5's heading says "cropping 4", but the stored output ([6, 5, 6] from [8, 7, 6]) is the input
    // cropped by 1 on every side (the test checks this against the input values), so the shapes decide here.
    if (typeof c === 'number' && s.input[0] - 2 * c !== s.expected[0])
      return { cropping: (s.input[0] - s.expected[0]) / 2, data_format: df };
    return { cropping: c, data_format: df };
  }
  if (cls.startsWith('ZeroPadding'))
    return { padding: parseKwargs(`c=${num(/padding (.+) on/)}`).c, data_format: df };
  if (cls.startsWith('UpSampling')) {
    const sz = num(/size (\S+) upsampling/);
    const size = sz.includes('x')
      ? sz.split('x').map(Number)
      : rank === 1
        ? Number(sz)
        : Array(rank).fill(Number(sz));
    return rank === 1 ? { size } : { size, data_format: df };
  }
  throw new Error(`no conv config for ${cls} (${s.input})`);
}
