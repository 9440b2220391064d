#!/usr/bin/env python3
"""Keyword arguments each public Keras layer class's constructor accepts, read from a Keras source checkout.

Generates test/fixtures/keras-constructor-args.json (checked by test/io/keras/export-vocabulary.test.ts), from
Keras's public source only, with the standard library's `ast` (no Keras import, no third-party package):

    git clone https://github.com/keras-team/keras /tmp/keras      # or any mirror of it
    git -C /tmp/keras worktree add /tmp/keras3 v3.8.0              # Keras 3 (the version .keras exports declare)
    git -C /tmp/keras worktree add /tmp/keras2 v2.15.0             # tf.keras 2 (Keras 2 vocabulary for .h5)
    python3 scripts/keras-constructor-args.py --keras3 /tmp/keras3 --keras2 /tmp/keras2 \
        > test/fixtures/keras-constructor-args.json

How a class's list is worked out: its `__init__` parameters, plus keys its `__init__` pops from `**kwargs`
(`kwargs.pop("input_shape")`), plus, when it passes `**kwargs` on (`super().__init__(..., **kwargs)` or
`Base.__init__(self, ..., **kwargs)`), what the next `__init__` in the method resolution order accepts, minus the
keywords it already passes explicitly or positionally. The root `Layer` contributes its own parameters and the keys
it allows in `**kwargs` (Keras 3: the popped `input_dim` / `input_shape`; Keras 2: the `allowed_kwargs` set).
A class without its own `__init__` accepts what its parent's does. Public names come from `@keras_export(...)`
decorators (`keras.layers.X`, aliases included).
"""
import argparse
import ast
import json
import os
import sys


def parse_tree(root, subdirs):
    """Every class definition under the given Keras folders: name -> list of (ClassDef, module path)."""
    classes = {}
    walks = [os.walk(os.path.join(root, sd)) for sd in subdirs if os.path.isdir(os.path.join(root, sd))]
    for d, _, files in (x for w in walks for x in w):
        if any(p in d for p in ('/tests', '/testing', '/benchmarks', '/integration_test')):
            continue
        for f in files:
            if not f.endswith('.py') or f.endswith('_test.py'):
                continue
            path = os.path.join(d, f)
            try:
                tree = ast.parse(open(path, encoding='utf-8').read(), path)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    classes.setdefault(node.name, []).append((node, os.path.relpath(path, root)))
    return classes


def base_names(cls):
    out = []
    for b in cls.bases:
        if isinstance(b, ast.Name):
            out.append(b.id)
        elif isinstance(b, ast.Attribute):
            out.append(b.attr)
    return out


def init_of(cls):
    for n in cls.body:
        if isinstance(n, ast.FunctionDef) and n.name == '__init__':
            return n
    return None


def exported_names(cls):
    """`keras.layers.X` names from @keras_export decorators (strings or lists of strings)."""
    names = []
    for d in cls.decorator_list:
        if isinstance(d, ast.Call) and getattr(d.func, 'id', getattr(d.func, 'attr', '')) == 'keras_export':
            for a in d.args:
                vals = a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a]
                for v in vals:
                    if isinstance(v, ast.Constant) and isinstance(v.value, str):
                        names.append(v.value)
    return [n.split('.')[-1] for n in names if n.startswith('keras.layers.') and n.count('.') == 2]


class Resolver:
    def __init__(self, classes, prefer):
        self.classes = classes
        self.prefer = prefer  # path fragment preferred when a class name is defined twice
        self.memo = {}

    def get(self, name):
        cands = self.classes.get(name)
        if not cands:
            return None
        for c, p in cands:
            if self.prefer in p:
                return c
        return cands[0][0]

    def mro(self, name, visiting=()):
        """C3 linearisation over the classes found in the source (unknown or cyclic bases are left out)."""
        if name in self.memo:
            return self.memo[name]
        c = self.get(name)
        if c is None:
            return []
        seen = visiting + (name,)
        bases = [b for b in base_names(c) if self.get(b) is not None and b not in seen]
        seqs = [self.mro(b, seen) for b in bases]
        seqs.append(bases)
        out = [name]
        seqs = [list(s) for s in seqs if s]
        while seqs:
            for s in seqs:
                head = s[0]
                if not any(head in t[1:] for t in seqs):
                    break
            else:
                raise ValueError(f'inconsistent MRO for {name}')
            out.append(head)
            seqs = [[x for x in s if x != head] for s in seqs]
            seqs = [s for s in seqs if s]
        self.memo[name] = out
        return out

    def accepted(self, mro, start, is_root):
        """Keywords accepted by the first __init__ at or after mro[start]."""
        for j in range(start, len(mro)):
            c = self.get(mro[j])
            fn = init_of(c)
            if fn is None:
                continue
            return self.of_init(fn, mro, j, is_root(mro[j]))
        return set(), []

    def of_init(self, fn, mro, j, root):
        a = fn.args
        params = [p.arg for p in a.posonlyargs + a.args][1:]  # without self
        own = set(params) | {p.arg for p in a.kwonlyargs}
        forwarded = False
        star = False  # passes its own *args on
        explicit = set()
        npos = 0
        target = None
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                f = node.func
                # kwargs.pop("key", ...) / kwargs.get("key")
                if (
                    isinstance(f, ast.Attribute)
                    and f.attr in ('pop', 'get')
                    and isinstance(f.value, ast.Name)
                    and a.kwarg is not None
                    and f.value.id == a.kwarg.arg
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    own.add(node.args[0].value)
                # super().__init__(...) or Base.__init__(self, ...)
                if isinstance(f, ast.Attribute) and f.attr == '__init__':
                    v = f.value
                    sup = isinstance(v, ast.Call) and getattr(v.func, 'id', '') == 'super'
                    named = isinstance(v, (ast.Name, ast.Attribute))
                    if not (sup or named):
                        continue
                    if named:
                        nm = v.id if isinstance(v, ast.Name) else v.attr
                        if nm not in mro:
                            continue  # a backend or mixin base outside the layer hierarchy
                        target = mro.index(nm)
                        args = node.args[1:]
                    else:
                        target = j + 1
                        args = node.args
                    npos = len([x for x in args if not isinstance(x, ast.Starred)])
                    star = a.vararg is not None and any(
                        isinstance(x, ast.Starred) and getattr(x.value, 'id', '') == a.vararg.arg for x in args
                    )
                    for k in node.keywords:
                        if k.arg is None:
                            if a.kwarg is not None and isinstance(k.value, ast.Name) and k.value.id == a.kwarg.arg:
                                forwarded = True
                        else:
                            explicit.add(k.arg)
                    if forwarded:
                        break
        if root:
            own |= self.allowed_kwargs(fn)
            return own, params
        if forwarded and target is not None:
            nxt, nxt_params = self.accepted(mro, target, self.is_root)
            nxt = set(nxt) - explicit - set(nxt_params[:npos])
            # a pass-through `__init__(self, *args, **kwargs)`: positional arguments reach the next one's parameters
            return own | nxt, params + nxt_params[npos:] if star else params
        return own, params

    @staticmethod
    def allowed_kwargs(fn):
        """Keras 2 base layer: the string set assigned to `allowed_kwargs`."""
        out = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and any(getattr(t, 'id', '') == 'allowed_kwargs' for t in node.targets):
                if isinstance(node.value, (ast.Set, ast.List, ast.Tuple)):
                    out |= {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
        return out


def generate(root, layer_module):
    subdirs = (
        ['keras/src/layers', 'keras/src/ops']
        if os.path.isdir(os.path.join(root, 'keras/src/layers'))
        else ['keras/layers', 'keras/engine']
    )
    classes = parse_tree(root, subdirs)
    r = Resolver(classes, prefer=layer_module)
    root_paths = [p for _, p in classes.get('Layer', []) if layer_module in p]
    if not root_paths:
        sys.exit(f'{root}: no Layer class in {layer_module} (is it a Keras checkout of the right major version?)')
    # the root is the base Layer of the layer package (not a backend's or a test's class of the same name)
    r.is_root = lambda n: n == 'Layer'
    root_cls = r.get('Layer')
    base, _ = r.of_init(init_of(root_cls), ['Layer'], 0, True)
    out = {}
    for name, cands in classes.items():
        for c, path in cands:
            for public in exported_names(c):
                if name != 'Layer' and 'Layer' not in r.mro(name):
                    continue
                acc, _ = r.accepted(r.mro(name), 0, r.is_root)
                out[public] = sorted(acc)
    return sorted(base), dict(sorted(out.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--keras3', help='Keras 3 source checkout (e.g. tag v3.8.0)')
    ap.add_argument('--keras2', help='tf.keras 2 source checkout (e.g. tag v2.15.0)')
    a = ap.parse_args()
    if not a.keras3 and not a.keras2:
        ap.error('give --keras3 and/or --keras2')
    doc = {
        '_about': 'Constructor keyword arguments per public Keras layer class (every keyword the class accepts, '
        'inherited ones included), generated by scripts/keras-constructor-args.py from the Keras source '
        '(see its header for the command). base: what the root Layer accepts.',
    }
    for key, src, mod in (('keras3', a.keras3, 'keras/src/layers/layer.py'), ('keras2', a.keras2, 'engine/base_layer.py')):
        if not src:
            continue
        base, classes = generate(src, mod)
        if not classes:
            sys.exit(f'{src}: no exported layer classes found (is it a Keras checkout?)')
        doc[key] = {'source': version_of(src), 'base': base, 'classes': classes}
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write('\n')


def version_of(root):
    """The checkout's version string (keras/src/version.py, keras/__init__.py), for the record."""
    for rel in ('keras/src/version.py', 'keras/__init__.py', 'keras/version.py'):
        p = os.path.join(root, rel)
        if os.path.exists(p):
            for node in ast.walk(ast.parse(open(p, encoding='utf-8').read())):
                if isinstance(node, ast.Assign) and any(getattr(t, 'id', '') == '__version__' for t in node.targets):
                    if isinstance(node.value, ast.Constant):
                        return f'keras {node.value.value}'
    return 'keras (version not found)'


if __name__ == '__main__':
    main()
