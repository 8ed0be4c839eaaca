// Valid Python that tree-sitter-python's grammar may or may not read: each form, the first
// CPython 3.x that accepts it, and whether spawnsafe's parser reads it. A form it does not read
// is reported as a gap of spawnsafe's parser (CPython accepts the file) and the file is left
// alone, never called a syntax error (src/judge.ts). test/grammar.test.ts holds the
// parser to this table; test/cpython.slow.test.ts holds CPython to it and runs the CLI on each.
// Found by comparing the two on generated and hand-written forms (PEP 646, 654, 695, 696, 701).

export interface GrammarForm {
  name: string;
  code: string;
  /** The first CPython 3.x minor version that compiles it. */
  since: number;
  /** spawnsafe's parser (tree-sitter-python 0.25) reads it without an error. */
  parses: boolean;
}

export const GRAMMAR_FORMS: GrammarForm[] = [
  // PEP 646 (3.11): a starred expression in a subscript is read only when it stars a name.
  { name: "starred name in a subscript", code: "x = {(1,): 'a'}\nt = (1,)\nprint(x[*t])\n", since: 11, parses: true },
  { name: "starred call in a subscript (PEP 646)", code: "class A:\n    def __getitem__(self, k):\n        return k\nprint(A()[*range(2)])\n", since: 11, parses: true },
  { name: "starred tuple in a subscript (PEP 646)", code: "class A:\n    def __getitem__(self, k):\n        return k\nprint(A()[*(1, 2)])\n", since: 11, parses: false },
  { name: "starred list in a subscript after an item (PEP 646)", code: "class A:\n    def __getitem__(self, k):\n        return k\nprint(A()[0, *[1]])\n", since: 11, parses: false },
  { name: "starred string in a subscript (PEP 646)", code: "class A:\n    def __getitem__(self, k):\n        return k\nprint(A()['a', *'bc'])\n", since: 11, parses: false },
  { name: "starred unary expression in a subscript (PEP 646)", code: "class A:\n    def __getitem__(self, k):\n        return k\nv = [1]\nprint(A()[*-v[0:0] or ()])\n", since: 11, parses: false },
  { name: "starred *args annotation (PEP 646)", code: "from typing import TypeVarTuple\nTs = TypeVarTuple('Ts')\ndef f(*args: *Ts): pass\n", since: 11, parses: true },
  { name: "starred tuple in a for iterable", code: "for x in *(1, 2), 3:\n    print(x)\n", since: 9, parses: false },
  { name: "except* (PEP 654)", code: "try:\n    pass\nexcept* ValueError as e:\n    pass\n", since: 11, parses: true },
  { name: "match with guards, mappings, classes, or-patterns", code: "match (1, 2):\n    case (1, y) if y > 1:\n        pass\n    case {'k': v, **rest}:\n        pass\n    case int(real=0) | str():\n        pass\n    case _:\n        pass\n", since: 10, parses: true },
  { name: "soft keywords as names", code: "match = 1\ncase = 2\ntype = 3\nprint(match, case, type)\n", since: 10, parses: true },
  { name: "parenthesized context managers", code: "import io\nwith (io.StringIO() as a,\n      io.StringIO() as b):\n    pass\n", since: 10, parses: true },
  // Line endings: CPython ends a line at CR, LF or CRLF; tree-sitter's grammar knows no lone CR
  // (src/parse.ts reads a same-length copy with LF for each lone CR).
  { name: "lone CR line endings", code: "def f():\r    return 1\rprint(f())\r", since: 0, parses: true },
  { name: "CRLF, LF and lone CR mixed", code: "x = 1\r\ny = 2\rz = 3\nprint(x, y, z)\r", since: 0, parses: true },
  // PEP 695 (3.12): type aliases and type parameters.
  { name: "type alias (PEP 695)", code: "type X = int\n", since: 12, parses: true },
  { name: "generic type alias with a bound (PEP 695)", code: "type Pair[T: int] = tuple[T, T]\n", since: 12, parses: true },
  { name: "generic function (PEP 695)", code: "def f[T, *Ts, **P](x: T) -> T:\n    return x\n", since: 12, parses: true },
  { name: "generic class (PEP 695)", code: "class C[T]:\n    pass\n", since: 12, parses: true },
  // PEP 701 (3.12): f-strings are parsed as code.
  { name: "same quotes nested in an f-string (PEP 701)", code: "x = {'a': 1}\nprint(f\"{x[\"a\"]}\")\n", since: 12, parses: true },
  { name: "backslash in an f-string expression (PEP 701)", code: "print(f\"{'\\n'.join(['a', 'b'])}\")\n", since: 12, parses: true },
  { name: "comment in a multi-line f-string expression (PEP 701)", code: "x = 1\nprint(f\"{x # the value\n}\")\n", since: 12, parses: true },
  // PEP 696 (3.13): defaults of type parameters.
  { name: "type parameter default (PEP 696)", code: "def f[T = int]():\n    pass\n", since: 13, parses: false },
  { name: "class type parameter with constraints and a default (PEP 696)", code: "class C[T: (int, str) = int]:\n    pass\n", since: 13, parses: false },
];
