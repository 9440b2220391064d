// Debian's python3-onnx, where present: the ONNX tests run `onnx.checker.check_model(full_check=True)` through it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The Python that has Debian's packages (a pyenv or venv `python3` does not see them). */
export const PY = '/usr/bin/python3';

/** True when `PY` imports onnx. */
export const hasOnnxChecker: boolean =
  existsSync(PY) &&
  (() => {
    try {
      execFileSync(PY, ['-c', 'import onnx'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
