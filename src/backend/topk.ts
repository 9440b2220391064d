// The top-k kernel: the indices of the k largest values of each row, in one pass per row with a k-element heap.
import type { TypedArray } from '../core/dtype.js';

/**
 * Whether x[i] ranks before x[j]: the larger value first, equal values by the lower index (TF.js's comparePair).
 * NOTE: NaN ranks above every number (as PyTorch's topk and NumPy's sort); TF.js's comparator returns NaN there, so
 * its order around a NaN is whatever its partition leaves.
 */
function before(x: TypedArray, i: number, j: number): boolean {
  const a = x[i];
  const b = x[j];
  if (a !== a) return b === b || i < j;
  if (b !== b) return false;
  return a > b || (a === b && i < j);
}

/**
 * x viewed as [outer, n]: out [outer, k] holds the positions (0..n-1) of each row's k top values, best first.
 * A min-heap of the k best so far (its root the worst of them) makes a row O(n log k); then it is emptied worst
 * first into the row's slots from the back.
 */
export function topk(x: TypedArray, outer: number, n: number, k: number, out: Int32Array): void {
  const heap = new Int32Array(k);
  for (let o = 0; o < outer; o++) {
    const base = o * n;
    // worse(h1, h2): heap slot h1 holds a value that ranks after h2's (the heap's order: worst at the root)
    const worse = (h1: number, h2: number) => before(x, base + heap[h2], base + heap[h1]);
    const siftDown = (size: number) => {
      let h = 0;
      for (;;) {
        const l = 2 * h + 1;
        if (l >= size) return;
        const c = l + 1 < size && worse(l + 1, l) ? l + 1 : l;
        if (!worse(c, h)) return;
        [heap[h], heap[c]] = [heap[c], heap[h]];
        h = c;
      }
    };
    let size = 0;
    for (let m = 0; m < n; m++) {
      if (size < k) {
        // sift the new entry up from the end
        let h = size++;
        heap[h] = m;
        while (h > 0) {
          const p = (h - 1) >> 1;
          if (!worse(h, p)) break;
          [heap[h], heap[p]] = [heap[p], heap[h]];
          h = p;
        }
      } else if (before(x, base + m, base + heap[0])) {
        heap[0] = m;
        siftDown(size);
      }
    }
    // pop the worst each time: it goes to the last free slot of the row
    for (let s = size - 1; s >= 0; s--) {
      out[o * k + s] = heap[0];
      heap[0] = heap[s];
      siftDown(s);
    }
  }
}
