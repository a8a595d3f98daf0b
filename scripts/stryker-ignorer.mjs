// @ts-check
/**
 * Why a mutant is equivalent, written once: a StrykerJS ignorer plugin (StrykerJS >= 7.3 `ignorers`),
 * loaded by stryker.config.mjs and stryker.standard.config.mjs (`plugins` and `ignorers`).
 *
 * Stryker calls `shouldIgnore(path)` on every node of the Babel AST of a mutated file; a string returned is the
 * reason the mutants of that node and of everything under it are reported as Ignored (not run, not scored).
 * Each rule below matches one exact shape of code, and only that shape, so that it cannot hide a real survivor:
 * a rule that no longer matches (code renamed or rewritten) lets its mutants through, where they show up as
 * survivors to look at, never the other way round. A rule ignores a whole subtree (Stryker has no finer grain):
 * its comment says which mutants of that subtree are not equivalent and which specs kill them when they are
 * tested (`STRYKER_IGNORERS=none npm run mutation:legacy` tests every mutant the rules ignore).
 *
 * Three ignorers:
 * - `equivalent` (both runs): mutants no spec can ever tell from the original.
 * - `standard-mode-only` (the legacy run only): code that only standard decorators run; with legacy decorators
 *   (the specs of the legacy run) its mutants change nothing that runs.
 * - `legacy-run-code` (the standard run only): the rest of the files that hold such code (guard.ts, registry.ts),
 *   which the legacy run mutates; so the standard run mutates exactly the standard-mode-only code there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

/** The decorator's wrappers and scopes: guard.ts, with the keyed ones (keyed-guard.ts) and their shared parts (scope-parts.ts). */
const isGuardFile = (file) => /src\/decorator\/(guard|keyed-guard|scope-parts)\.ts$/.test(file);

/** @typedef {import('@babel/core').NodePath} NodePath */
/** @typedef {import('@babel/core').types.Node} Node */

/**
 * A rule: `reason` when `matches(path, file)`, `file` being the path of the mutated file with `/` separators.
 * @typedef {{ name: string; reason: string; matches: (path: NodePath, file: string) => boolean }} Rule
 */

// ---------------------------------------------------------------------------------------------------------------
// Shape helpers (plain node checks: no Babel import needed).

/** @param {Node | null | undefined} node @param {string} name */
const isIdentifier = (node, name) => node?.type === 'Identifier' && (name === undefined || node.name === name);

/** `a.b` or `a?.b` with the property `name` (not computed). @param {Node | null | undefined} node @param {string} name */
function isMember(node, name) {
  return (
    (node?.type === 'MemberExpression' || node?.type === 'OptionalMemberExpression') &&
    !node.computed &&
    node.property.type === 'Identifier' &&
    node.property.name === name
  );
}

/** Source text of a node, for comparing two expressions. @param {Node} node @param {NodePath} path */
function text(node, path) {
  const code = /** @type {{ file?: { code?: string } } | undefined} */ (path.hub)?.file?.code;
  if (code === undefined || node.start == null || node.end == null) return undefined;
  return code.slice(node.start, node.end);
}

/** A statement, or a block holding only that statement, as the statement. @param {Node | null | undefined} node */
function only(node) {
  if (node?.type === 'BlockStatement') return node.body.length === 1 ? node.body[0] : undefined;
  return node ?? undefined;
}

/** The test of an `if` without `else`. @param {NodePath} path */
function isTestOfIfWithoutElse(path) {
  const parent = path.parentPath;
  return parent?.node.type === 'IfStatement' && parent.node.test === path.node && parent.node.alternate == null;
}

/** The name of the nearest enclosing function or method, if any. @param {NodePath} path */
function enclosingFunctionName(path) {
  const fn = path.getFunctionParent();
  if (fn === null) return undefined;
  const node = fn.node;
  if ((node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') && node.id) return node.id.name;
  if ((node.type === 'ClassMethod' || node.type === 'ObjectMethod') && node.key.type === 'Identifier') return node.key.name;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Discriminant literals: which string literals src/ ever compares a value with.

/** Every `=== 'x'`, `!== 'x'`, `== 'x'`, `!= 'x'`, `'x' ===` and `case 'x'` in src/ (read once, in the sandbox's cwd). */
function comparedLiterals(root = 'src') {
  /** @type {Set<string> & { scopeReceivers?: Map<string, string[]> }} */
  const found = new Set();
  /** Who is compared by `x.scope === 'value'`: the receivers `x` for each value. @type {Map<string, string[]>} */
  const scopeReceivers = new Map();
  found.scopeReceivers = scopeReceivers;
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(full, 'utf8');
        for (const m of source.matchAll(/(?:[!=]==?|\bcase)\s*(['"`])([^'"`]*)\1|(['"`])([^'"`]*)\3\s*[!=]==?/g)) {
          found.add(m[2] ?? m[4] ?? '');
        }
        for (const m of source.matchAll(/(\w+)\??\.scope\s*[!=]==?\s*(['"`])([^'"`]*)\2/g)) {
          const receivers = scopeReceivers.get(m[3]) ?? [];
          receivers.push(m[1]);
          scopeReceivers.set(m[3], receivers);
        }
      }
    }
  };
  try {
    walk(root);
  } catch {
    // No src/ here: compare with everything, so the rule below ignores nothing.
    return { has: () => true };
  }
  return found;
}

/** @type {{ has(value: string): boolean; scopeReceivers?: Map<string, string[]> } | undefined} */
let compared;

/** Whether every use of `.period` and `.generation` in src/ is one an epoch counter allows (see `epoch-counter`). */
function epochCounterUses(root = 'src') {
  /** @type {Map<string, boolean>} */
  const ok = new Map([['period', true], ['generation', true]]);
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(full, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
        for (const m of source.matchAll(/\b(?:this|host)\.(period|generation)\b/g)) {
          const name = m[1];
          const index = m.index ?? 0;
          const before = source.slice(Math.max(0, source.lastIndexOf('\n', index) + 1), index);
          const after = source.slice(index + m[0].length, index + m[0].length + 4);
          const fine =
            (/=\s*$/.test(before) && !/[!=<>]=\s*$/.test(before) && /^\s*[;,)]/.test(after)) || // captured: `x = this.period;`
            (/^\s*$/.test(before) && /^\s*=[^=]/.test(after)) || // a copy assigned: `this.period = host.period;`
            /[!=]==\s*$/.test(before) || // compared for equality
            /^\+\+/.test(after) || // the ++ itself
            /[(,]\s*$/.test(before); // passed on as an argument
          if (!fine) ok.set(name, false);
        }
      }
    }
  };
  try {
    walk(root);
  } catch {
    return new Map();
  }
  return ok;
}

/** @type {Map<string, boolean> | undefined} */
let epochUses;

// ---------------------------------------------------------------------------------------------------------------
// The rules.

/** @type {Rule[]} */
const equivalentRules = [
  {
    // `if (channel.hasSubscribers) channel.publish(event);` (src/breaker/announce.ts, emit()).
    // The test as `true` publishes to a channel nobody subscribes to, which does nothing (node:diagnostics_channel).
    // Also in the subtree: the test as `false`, which loses every published event: killed by spec/events/channels.spec.ts.
    name: 'publish-without-subscribers',
    reason: 'equivalent: publish() on a diagnostics channel without subscribers does nothing; the hasSubscribers check only saves the call',
    matches(path) {
      if (!isMember(path.node, 'hasSubscribers') || !isTestOfIfWithoutElse(path)) return false;
      const body = only(/** @type {import('@babel/core').types.IfStatement} */ (path.parent).consequent);
      if (body?.type !== 'ExpressionStatement' || body.expression.type !== 'CallExpression') return false;
      const callee = body.expression.callee;
      const channel = /** @type {import('@babel/core').types.MemberExpression} */ (path.node).object;
      return isMember(callee, 'publish') && text(/** @type {Node} */ (/** @type {any} */ (callee).object), path) === text(channel, path);
    },
  },
  {
    // `if (events === undefined && !channels.refusal.hasSubscribers) return;` (src/breaker/announce.ts, each announceX).
    // The test as `false` goes on to build the event and hands it to `events?.x` (undefined: nobody) and to a
    // channel's publish() behind its own hasSubscribers check (nobody): nothing is called, nothing changes.
    // Also in the subtree, not equivalent, each making an event that someone listens to go missing: `true`,
    // `||`, `!==`, `true && ...` and the `!` dropped; killed by spec/events/listeners.spec.ts (listeners, no
    // channel subscriber) and spec/events/channels-only.spec.ts (a channel subscriber, no listener).
    name: 'event-nobody-hears',
    reason: 'equivalent: this early return only skips building an event that has no listener and no channel subscriber',
    matches(path) {
      const node = path.node;
      if (node.type !== 'LogicalExpression' || node.operator !== '&&' || !isTestOfIfWithoutElse(path)) return false;
      const body = only(/** @type {import('@babel/core').types.IfStatement} */ (path.parent).consequent);
      if (body?.type !== 'ReturnStatement' || body.argument != null) return false;
      const { left, right } = node;
      return (
        left.type === 'BinaryExpression' &&
        left.operator === '===' &&
        left.left.type === 'Identifier' &&
        isIdentifier(left.right, 'undefined') &&
        right.type === 'UnaryExpression' &&
        right.operator === '!' &&
        isMember(right.argument, 'hasSubscribers')
      );
    },
  },
  {
    // `this.timer.ref();` (src/breaker/guarded-call.ts, Deadlines): a statement that only calls ref() or unref()
    // on a timer, with no argument. It decides whether the timer keeps the process alive, which nothing inside
    // the process observes (sinon's fake timers make it a no-op too); removing the statement is the equivalent
    // mutant, and the only one in the subtree. Not `this.timer?.unref()`: Stryker does not remove an optional
    // call, and its one mutant (`?.` made `.`) is real (it throws when the last pending call times out, the
    // timer having just fired).
    name: 'timer-ref-unref',
    reason: 'equivalent: ref()/unref() only decide whether the timer keeps the process alive, which no in-process spec can observe',
    matches(path) {
      const node = path.node;
      if (node.type !== 'ExpressionStatement') return false;
      const call = node.expression;
      if (call.type !== 'CallExpression' || call.arguments.length !== 0) return false;
      if (!(isMember(call.callee, 'ref') || isMember(call.callee, 'unref'))) return false;
      const target = /** @type {import('@babel/core').types.MemberExpression} */ (call.callee).object;
      // A timer field or variable: `this.timer`, `timer`.
      return (isMember(target, 'timer') && /** @type {any} */ (target).object.type === 'ThisExpression') || isIdentifier(target, 'timer');
    },
  },
  {
    // The `default:` of an exhaustive switch, which the types prove unreachable: its body calls `assertNever(x)`
    // or declares a `never`-typed constant. (None in src/ today: rules.ts's switch has no default at all, its
    // exhaustiveness checked by noImplicitReturns. Kept so that the next one needs no comment.)
    name: 'exhaustive-switch-default',
    reason: 'equivalent: the default of an exhaustive switch, unreachable by its type (never)',
    matches(path) {
      const node = path.node;
      if (node.type !== 'SwitchCase' || node.test != null) return false;
      return node.consequent.some((statement) => {
        const s = statement.type === 'BlockStatement' && statement.body.length === 1 ? statement.body[0] : statement;
        if (s.type === 'VariableDeclaration') {
          return s.declarations.some((d) => d.id.type === 'Identifier' && /** @type {any} */ (d.id).typeAnnotation?.typeAnnotation?.type === 'TSNeverKeyword');
        }
        const expression = s.type === 'ThrowStatement' || s.type === 'ReturnStatement' ? s.argument : s.type === 'ExpressionStatement' ? s.expression : undefined;
        return expression?.type === 'CallExpression' && isIdentifier(expression.callee, 'assertNever');
      });
    },
  },
  {
    // `if (failureThreshold !== undefined) options.failureThreshold = failureThreshold;` (src/breaker/options.ts,
    // positionalOptions): the test as `true` copies an undefined positional argument as an option set to
    // undefined, which the options contract reads as its default, exactly as a missing one (docs/options.md).
    // Also in the subtree: `false` and `===`, which lose a given argument: killed by spec/breaker/options.spec.ts.
    name: 'defined-option-copy',
    reason: 'equivalent: an option set to undefined means its default, as a missing one does',
    matches(path) {
      const node = path.node;
      if (node.type !== 'BinaryExpression' || node.operator !== '!==' || !isTestOfIfWithoutElse(path)) return false;
      if (node.left.type !== 'Identifier' || !isIdentifier(node.right, 'undefined')) return false;
      const name = node.left.name;
      const body = only(/** @type {import('@babel/core').types.IfStatement} */ (path.parent).consequent);
      if (body?.type !== 'ExpressionStatement' || body.expression.type !== 'AssignmentExpression' || body.expression.operator !== '=') return false;
      const { left, right } = body.expression;
      return isMember(left, name) && isIdentifier(/** @type {any} */ (left).object, 'options') && isIdentifier(right, name);
    },
  },
  {
    // A discriminant literal that nothing compares with: `kind: 'options'` (a decorator plan, told apart only as
    // `kind === 'shared'`), `readonly scope = 'method'` (read only as `scope === 'instance'`). The literal as ""
    // changes no value any code reads. Only for a `kind` or `scope` property, and only while no `=== 'x'`,
    // `!== 'x'` or `case 'x'` of that literal appears anywhere in src/ (checked when the plugin loads).
    name: 'uncompared-discriminant',
    reason: 'equivalent: a discriminant literal that no code in src/ compares with (its union is told apart by the other member)',
    matches(path) {
      const node = path.node;
      if (node.type !== 'StringLiteral') return false;
      const parent = path.parent;
      const isValueOf =
        ((parent.type === 'ObjectProperty' && parent.value === node) || (parent.type === 'ClassProperty' && parent.value === node)) &&
        !parent.computed &&
        parent.key.type === 'Identifier' &&
        (parent.key.name === 'kind' || parent.key.name === 'scope');
      if (!isValueOf) return false;
      compared ??= comparedLiterals();
      if (!compared.has(node.value)) return true;
      // `readonly scope = 'method'` of a GuardedMethod (src/decorator/guard.ts): the decorator plan's own `scope`
      // option is compared with 'method' (`plan.scope === 'method'`), but a GuardedMethod's is read only as
      // `found.scope === 'instance'` (registry.ts): ignored while no other receiver compares its scope with it.
      if (parent.type !== 'ClassProperty' || /** @type {any} */ (parent.key).name !== 'scope') return false;
      const cls = path.parentPath?.parentPath?.parent;
      const implementsGuarded = cls?.type === 'ClassDeclaration' && (cls.implements ?? []).some((i) => isIdentifier(/** @type {any} */ (i).expression, 'GuardedMethod'));
      return implementsGuarded && !(compared.scopeReceivers?.get(node.value) ?? []).some((receiver) => receiver !== 'plan');
    },
  },
  {
    // Dead WeakRefs: a list of WeakRefs skips a dead one when listed, so pruning them only bounds memory, which
    // no spec observes without forcing a garbage collection. Two shapes:
    // - `if (this.refs.length >= this.compactAt) { this.refs = this.refs.filter((ref) => ref.deref() !== undefined); ... }`
    //   (src/decorator/guard.ts, LiveRefs#add): the whole `if`;
    // - `forgetMethod.register(method, ref);` on a FinalizationRegistry that deletes the dead ref from a Set
    //   (src/decorator/registry.ts, rememberGuarded): the statement.
    name: 'dead-weakref-pruning',
    reason: 'equivalent: pruning dead WeakRefs only bounds memory (listing skips a dead ref anyway)',
    matches(path, file) {
      const node = path.node;
      if (node.type === 'IfStatement' && node.consequent.type === 'BlockStatement') {
        return node.consequent.body.some(
          (s) =>
            s.type === 'ExpressionStatement' &&
            s.expression.type === 'AssignmentExpression' &&
            s.expression.right.type === 'CallExpression' &&
            isMember(s.expression.right.callee, 'filter') &&
            /deref\(\)\s*!==\s*undefined/.test(text(s.expression.right, path) ?? ''),
        );
      }
      if (node.type === 'ExpressionStatement' && node.expression.type === 'CallExpression' && isMember(node.expression.callee, 'register')) {
        const registry = /** @type {any} */ (node.expression.callee).object;
        if (registry.type !== 'Identifier') return false;
        const code = /** @type {any} */ (path.hub)?.file?.code ?? '';
        return new RegExp(`const ${registry.name} = new FinalizationRegistry<WeakRef<\\w+>>\\(\\(ref\\) => \\w+\\.delete\\(ref\\)\\)`).test(code) && file.length > 0;
      }
      return false;
    },
  },
  {
    // `new.target === decoratorOrBreaker ? new Breaker(options) : Reflect.construct(Breaker, [options], new.target)`
    // (src/decorator/circuit-breaker.ts): the test as `false` builds the same object through Reflect.construct
    // (same prototype, same fields), only slower. Also in the subtree, not equivalent: `true` and `!==`, which
    // give a subclass of CircuitBreaker a plain breaker: killed by spec/decorator/circuit-breaker.spec.ts.
    name: 'construct-fast-path',
    reason: 'equivalent: the fast path builds the same object as Reflect.construct would, only faster',
    matches(path) {
      const node = path.node;
      const parent = path.parent;
      if (node.type !== 'BinaryExpression' || node.operator !== '===' || parent.type !== 'ConditionalExpression' || parent.test !== node) return false;
      if (node.left.type !== 'MetaProperty' || node.left.property.name !== 'target') return false;
      const { consequent, alternate } = parent;
      return (
        consequent.type === 'NewExpression' &&
        alternate.type === 'CallExpression' &&
        isMember(alternate.callee, 'construct') &&
        isIdentifier(/** @type {any} */ (alternate.callee).object, 'Reflect') &&
        alternate.arguments[2]?.type === 'MetaProperty' &&
        text(consequent.callee, path) === text(/** @type {Node} */ (alternate.arguments[0]), path)
      );
    },
  },
  {
    // The run-once flag of a standard decorator's initializer (src/decorator/standard.ts): `if (bound) return;`
    // and `bound = true;` in the function given to `context.addInitializer`, before `method.bind(owner)`.
    // bind() is idempotent, so without the flag only findOwner() runs again for every instance: same result.
    name: 'bind-once-flag',
    reason: 'equivalent: bind() is idempotent; the flag only spares the initializer of every later instance its work',
    matches(path, file) {
      if (!file.endsWith('/src/decorator/standard.ts') && !file.endsWith('src/decorator/standard.ts')) return false;
      const node = path.node;
      const inInitializer = () => {
        const fn = path.getFunctionParent();
        const call = fn?.parentPath?.node;
        return call?.type === 'CallExpression' && isMember(call.callee, 'addInitializer');
      };
      if (isIdentifier(node, 'bound') && isTestOfIfWithoutElse(path)) {
        const body = only(/** @type {import('@babel/core').types.IfStatement} */ (path.parent).consequent);
        return body?.type === 'ReturnStatement' && body.argument == null && inInitializer();
      }
      if (node.type === 'ExpressionStatement' && node.expression.type === 'AssignmentExpression') {
        const { left, right } = node.expression;
        return isIdentifier(left, 'bound') && right.type === 'BooleanLiteral' && right.value && inInitializer();
      }
      return false;
    },
  },
  {
    // The `'.'` of `${isStatic ? '.' : '#'}` in provisionalName() (src/decorator/guard.ts): a static method's
    // provisional name. Its class's static initializers bind it while the class is being defined, before any
    // code can read the breaker's name or call the method; only an instance method's `#method` can be seen.
    // (In the standard run; in the legacy run the whole function is `provisional-name` below.)
    name: 'static-provisional-name',
    reason: 'equivalent: a static method is bound while its class is defined, before anything reads its provisional name',
    matches(path, file) {
      if (!isGuardFile(file) || path.node.type !== 'StringLiteral' || path.node.value !== '.') return false;
      const parent = path.parent;
      return (
        parent.type === 'ConditionalExpression' &&
        parent.consequent === path.node &&
        isIdentifier(parent.test, 'isStatic') &&
        enclosingFunctionName(path) === 'provisionalName'
      );
    },
  },
  {
    // `this.period++` (src/breaker/breaker.ts, transition) and `this.generation++` (src/breaker/fleet-window.ts,
    // reset): an epoch counter that is only captured, passed on and compared for equality with its later value,
    // to tell an outcome or a reply of an earlier period. `--` moves it away from every captured value just as
    // `++` does. Checked when the plugin loads: every `.period` / `.generation` in src/ is a capture
    // (`= x.period;`), an argument (`(x.period,`), the `++` itself or an `!==`/`===` comparison; any other use
    // (arithmetic, ordering) and the rule ignores nothing.
    name: 'epoch-counter',
    reason: 'equivalent: an epoch counter only compared for equality: -- tells periods apart as ++ does',
    matches(path) {
      const node = path.node;
      if (node.type !== 'UpdateExpression' || node.operator !== '++' || path.parent.type !== 'ExpressionStatement') return false;
      const target = node.argument;
      if (!(isMember(target, 'period') || isMember(target, 'generation')) || /** @type {any} */ (target).object.type !== 'ThisExpression') return false;
      epochUses ??= epochCounterUses();
      return epochUses.get(/** @type {any} */ (target).property.name) === true;
    },
  },
  {
    // `if (!breaker.enterClosed()) return breaker.execute(original, this, arguments);` (src/decorator/guard.ts,
    // each wrapper): the decorated CLOSED fast path. The test as `true` sends every call through execute(), the
    // general path, which does the same for a CLOSED call, only slower (bench/ measures it). Also in the
    // subtree, not equivalent: `false` and the `!` dropped, which run a call the breaker refuses: killed by
    // spec/breaker/state-table.spec.ts and spec/decorator/.
    name: 'closed-fast-path',
    reason: 'equivalent: execute() does for a CLOSED call what the fast path does, only slower',
    matches(path) {
      const node = path.node;
      if (node.type !== 'UnaryExpression' || node.operator !== '!' || !isTestOfIfWithoutElse(path)) return false;
      const call = node.argument;
      if (call.type !== 'CallExpression' || call.arguments.length !== 0 || !isMember(call.callee, 'enterClosed')) return false;
      const body = only(/** @type {import('@babel/core').types.IfStatement} */ (path.parent).consequent);
      if (body?.type !== 'ReturnStatement' || body.argument?.type !== 'CallExpression' || !isMember(body.argument.callee, 'execute')) return false;
      return text(/** @type {any} */ (call.callee).object, path) === text(/** @type {any} */ (body.argument.callee).object, path);
    },
  },
  {
    // `if (this.slots.length >= 1024) this.compact();` and `if (this.head >= 1024 && ...) this.compact();`
    // (src/breaker/guarded-call.ts, Deadlines): compact() drops only the slots and groups before the heads, every
    // one of them done with, and renumbers nothing a pending call holds (`first` moves with them), so running it
    // at either place or not running it changes what the queue holds in memory, never a deadline, signal or
    // count. Every mutant of the statement (its test, its removal) is equivalent; spec/properties/deadlines.spec.ts
    // (3,000 calls) runs the compactions that do happen.
    name: 'deadline-queue-compaction',
    reason: 'equivalent: compact() only frees slots and groups already done with; when it runs changes no deadline, signal or count',
    matches(path, file) {
      const node = path.node;
      if (!file.endsWith('src/breaker/guarded-call.ts') || node.type !== 'IfStatement' || node.alternate != null) return false;
      const body = only(node.consequent);
      return (
        body?.type === 'ExpressionStatement' &&
        body.expression.type === 'CallExpression' &&
        body.expression.arguments.length === 0 &&
        isMember(body.expression.callee, 'compact') &&
        /** @type {any} */ (body.expression.callee).object.type === 'ThisExpression'
      );
    },
  },
  {
    // In `callWithSignal` (src/breaker/guarded-call.ts): `if (n === 1) return call.call(fn, thisArg, args[0], signal);`
    // and its siblings for 0 and 2 arguments, then `const copy = new Array<unknown>(n + 1)`. Each fast path does
    // what the general path after them does (the arguments copied into an array, the signal after them,
    // Reflect.apply), without the array; the array's initial length only sizes its backing store (it grows as it
    // is filled; n >= 3 there). Equivalent: a fast path's test as `false`, its removal, the array's length
    // mutated. Also in these subtrees, not equivalent: a test as `true` or `!==` (a call made with the wrong
    // arguments), killed by spec/breaker/guarded-call.spec.ts ("calls a function that has a property named
    // call or apply", 0 to 3 arguments, their values checked).
    name: 'signal-arity-fast-path',
    reason: 'equivalent: the arity fast paths and the copy\'s initial length change how the arguments are passed, not what',
    matches(path) {
      const node = path.node;
      if (enclosingFunctionName(path) !== 'callWithSignal') return false;
      if (node.type === 'NewExpression') return isIdentifier(node.callee, 'Array');
      if (node.type !== 'IfStatement' || node.alternate != null) return false;
      const test = node.test;
      const body = only(node.consequent);
      return (
        test.type === 'BinaryExpression' &&
        test.operator === '===' &&
        isIdentifier(test.left, 'n') &&
        test.right.type === 'NumericLiteral' &&
        body?.type === 'ReturnStatement' &&
        body.argument?.type === 'CallExpression' &&
        isMember(body.argument.callee, 'call') &&
        isIdentifier(/** @type {any} */ (body.argument.callee).object, 'call')
      );
    },
  },
  {
    // `if (outcome !== oldest) { ...write the bits, adjust the totals... }` (src/breaker/trip-strategy.ts,
    // CountWindow.record): when the outcome entering equals the one leaving, the write puts back the same two
    // bits and the totals change by 0. The test as `true` is equivalent; as `false` or `===` (outcomes never
    // written, or written only when unchanged) it is not: killed by spec/properties/windows.spec.ts.
    name: 'unchanged-outcome-bits',
    reason: 'equivalent: writing an outcome over an equal one changes no bit and no total',
    matches(path, file) {
      const node = path.node;
      return (
        file.endsWith('src/breaker/trip-strategy.ts') &&
        node.type === 'BinaryExpression' &&
        node.operator === '!==' &&
        isIdentifier(node.left, 'outcome') &&
        isIdentifier(node.right, 'oldest') &&
        isTestOfIfWithoutElse(path)
      );
    },
  },
];

/** @type {Rule[]} */
const standardModeOnlyRules = [
  {
    // The provisional name (`#method`, `.method`) a standard decorator gives a breaker until its class is known
    // (src/decorator/guard.ts): `function provisionalName`, and in MethodScope's constructor
    // `if (!named) breaker.rename(provisionalName(key, isStatic)); else breaker.joinFleet();`. With legacy
    // decorators bind() runs at decoration, in the same statement: it names the breaker and joins its fleet
    // before anything can read the name or call.
    name: 'provisional-name',
    reason: 'standard decorators only: with legacy decorators bind() names the breaker and joins its fleet at decoration',
    matches(path, file) {
      if (!isGuardFile(file)) return false;
      const node = path.node;
      if (node.type === 'FunctionDeclaration') return node.id?.name === 'provisionalName';
      if (node.type === 'IfStatement' && node.test.type === 'UnaryExpression' && isIdentifier(node.test.argument, 'named')) {
        return /\bprovisionalName\(/.test(text(node.consequent, path) ?? '') && enclosingFunctionName(path) === 'constructor';
      }
      return false;
    },
  },
  {
    // The wrappers that bind a method on its first call (src/decorator/guard.ts: checkedBindingOnCall,
    // keyedCheckedBindingOnCall): a function declaration with a required `bindOnCall` parameter. guard() picks
    // them only when it is given `bindOnCall`, which only standard.ts passes (legacy.ts calls guard() with four
    // arguments): with legacy decorators they never run.
    name: 'bind-on-call',
    reason: 'standard decorators only: only standard.ts passes bindOnCall, so only standard decorators use these wrappers',
    matches(path, file) {
      if (!isGuardFile(file)) return false;
      const node = path.node;
      if (node.type !== 'FunctionDeclaration') return false;
      return node.params.some((param) => param.type === 'Identifier' && param.name === 'bindOnCall' && !param.optional && /** @type {any} */ (param).typeAnnotation?.typeAnnotation?.type === 'TSFunctionType');
    },
  },
  {
    // Where guard() and a scope choose by `bindOnCall` (src/decorator/guard.ts): `bindOnCall === undefined` (which
    // wrapper) and `this.bindOnCall !== undefined` (bind on an instance's first call). Only standard.ts passes
    // bindOnCall, and with legacy decorators every method is bound at decoration, so in the legacy run both
    // choices come out the same whichever way they go; the standard run tells them apart.
    name: 'bind-on-call-choice',
    reason: 'standard decorators only: bindOnCall is given only by standard.ts; with legacy decorators the method is already bound',
    matches(path, file) {
      if (!isGuardFile(file)) return false;
      const node = path.node;
      // `if (!this.bound && this.bindOnCall !== undefined) this.bindOnCall(instance);`: the whole test.
      if (node.type === 'LogicalExpression' && node.operator === '&&' && isTestOfIfWithoutElse(path)) {
        const { left, right } = node;
        return (
          left.type === 'UnaryExpression' &&
          isMember(left.argument, 'bound') &&
          right.type === 'BinaryExpression' &&
          right.operator === '!==' &&
          isMember(right.left, 'bindOnCall') &&
          isIdentifier(right.right, 'undefined')
        );
      }
      if (node.type !== 'BinaryExpression' || !isIdentifier(node.right, 'undefined')) return false;
      if (node.operator === '===' && isIdentifier(node.left, 'bindOnCall')) return isTestOfIfWithoutElse(path) || path.parent.type === 'IfStatement';
      return false;
    },
  },
  {
    // `if (owner !== undefined) method.bind(owner);` in lookup() (src/decorator/registry.ts): binds a method found
    // by getCircuitBreaker() before its class is known, which only standard decorators leave unbound; with legacy
    // decorators it is bound at decoration and bind() is idempotent.
    name: 'bind-on-lookup',
    reason: 'standard decorators only: with legacy decorators the method is bound at decoration, and bind() is idempotent',
    matches(path, file) {
      if (!file.endsWith('src/decorator/registry.ts')) return false;
      const node = path.node;
      if (node.type !== 'IfStatement' || enclosingFunctionName(path) !== 'lookup') return false;
      const body = only(node.consequent);
      return (
        node.test.type === 'BinaryExpression' &&
        node.test.operator === '!==' &&
        isIdentifier(node.test.left, 'owner') &&
        body?.type === 'ExpressionStatement' &&
        body.expression.type === 'CallExpression' &&
        isMember(body.expression.callee, 'bind')
      );
    },
  },
];

/** The mutated file's path, `/`-separated. @param {NodePath} path */
function fileOf(path) {
  const name = /** @type {any} */ (path.hub)?.file?.opts?.filename ?? '';
  return String(name).split(sep).join('/');
}

/** @param {Rule[]} rules */
function ignorer(rules) {
  return {
    /** @param {NodePath} path */
    shouldIgnore(path) {
      const file = fileOf(path);
      for (const rule of rules) {
        if (rule.matches(path, file)) return `${rule.name}: ${rule.reason} (scripts/stryker-ignorer.mjs)`;
      }
      return undefined;
    },
  };
}

/**
 * The standard run's view of the files it shares with the legacy run (src/decorator/guard.ts, registry.ts):
 * only the code the standard-mode-only rules match is mutated there; every other node is the legacy run's.
 * A node is ignored unless it is such code, lies inside it, or holds some. (A node that holds some has its own
 * mutants tested by both runs: Stryker ignores whole subtrees. Here that is the BlockStatement of the two bodies
 * around that code, MethodScope's constructor and lookup().)
 */
function legacyRunCode() {
  /** @type {WeakMap<Node, boolean>} */
  const holds = new WeakMap();
  /** @param {NodePath} path @param {string} file */
  const isStandardOnly = (path, file) => standardModeOnlyRules.some((rule) => rule.matches(path, file));
  return {
    /** @param {NodePath} path */
    shouldIgnore(path) {
      const file = fileOf(path);
      if (!standardModeOnlyFiles.some((name) => file.endsWith(name))) return undefined;
      if (isStandardOnly(path, file) || path.findParent((parent) => isStandardOnly(parent, file)) !== null) return undefined;
      let found = holds.get(path.node);
      if (found === undefined) {
        found = false;
        path.traverse({
          enter(inner) {
            if (isStandardOnly(inner, file)) {
              found = true;
              inner.stop();
            }
          },
        });
        holds.set(path.node, found);
      }
      return found ? undefined : 'legacy-run-code: run with legacy decorators too, and mutated by the legacy run (scripts/stryker-ignorer.mjs)';
    },
  };
}

/** The files of the standard-mode-only rules (mutated by both runs, each its own part). */
export const standardModeOnlyFiles = ['src/decorator/guard.ts', 'src/decorator/keyed-guard.ts', 'src/decorator/scope-parts.ts', 'src/decorator/registry.ts'];

export const rules = { equivalent: equivalentRules, standardModeOnly: standardModeOnlyRules };

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'equivalent', ignorer(equivalentRules)),
  declareValuePlugin(PluginKind.Ignore, 'standard-mode-only', ignorer(standardModeOnlyRules)),
  declareValuePlugin(PluginKind.Ignore, 'legacy-run-code', legacyRunCode()),
];
