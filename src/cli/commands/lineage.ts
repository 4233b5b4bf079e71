// `govern lineage JTI`: the tree of artifacts an artifact descends from and issued under it, as
// recorded in the audit log.
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { LineageIndex, readLogLines, type AuditRecord } from '../../audit/index.js';
import { defaultAuditLog, formatRecordLine } from './audit.js';

export interface LineageView {
  jti: string;
  ancestors: string[];
  tree: LineageNode;
}

export interface LineageNode {
  jti: string;
  revoked: boolean;
  records: { seq: number; kind: string; time: string }[];
  children: LineageNode[];
}

/** The subtree from the root ancestor of `jti` down: its ancestors, itself and all its descendants. */
export function lineageView(index: LineageIndex, jti: string): LineageView {
  const ancestors = index.ancestors(jti);
  const root = ancestors.length > 0 ? ancestors[ancestors.length - 1]! : jti;
  const onPath = new Set([jti, ...ancestors]);
  const seen = new Set<string>();
  const build = (id: string): LineageNode => {
    seen.add(id);
    // Above the artifact only the line leading to it; from it down, everything.
    const below = !onPath.has(id) || id === jti;
    const kids = index.childrenOf(id).filter((c) => !seen.has(c) && (below || onPath.has(c)));
    return {
      jti: id,
      revoked: index.isRevoked(id),
      records: (index.recordsOf.get(id) ?? []).map((r) => ({ seq: r.seq, kind: r.kind, time: r.time })),
      children: kids.map(build),
    };
  };
  return { jti, ancestors, tree: build(root) };
}

function textTree(view: LineageView): string {
  const out: string[] = [];
  const walk = (node: LineageNode, prefix: string, last: boolean, top: boolean): void => {
    const mark = node.jti === view.jti ? '  <==' : '';
    const flags = node.revoked ? ' (revoked)' : '';
    const recs = node.records.length > 0 ? ` [${node.records.map((r) => `#${r.seq} ${r.kind}`).join(', ')}]` : ' [not in log]';
    out.push(`${top ? '' : `${prefix}${last ? '└─ ' : '├─ '}`}${node.jti}${flags}${recs}${mark}`);
    const childPrefix = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
    node.children.forEach((c, i) => walk(c, childPrefix, i === node.children.length - 1, false));
  };
  walk(view.tree, '', true, true);
  return out.join('\n');
}

function dotGraph(view: LineageView): string {
  const lines = ['digraph lineage {', '  rankdir=TB;', '  node [shape=box, fontname="monospace"];'];
  const walk = (node: LineageNode): void => {
    const attrs = [`label=${JSON.stringify(node.jti)}`];
    if (node.jti === view.jti) attrs.push('penwidth=2');
    if (node.revoked) attrs.push('style=dashed', 'color=red');
    lines.push(`  ${JSON.stringify(node.jti)} [${attrs.join(', ')}];`);
    for (const c of node.children) {
      lines.push(`  ${JSON.stringify(node.jti)} -> ${JSON.stringify(c.jti)};`);
      walk(c);
    }
  };
  walk(view.tree);
  lines.push('}');
  return lines.join('\n');
}

export function registerLineage(program: Command): void {
  program
    .command('lineage <jti>')
    .description("Print an artifact's ancestors and descendants (who was authorized under whom) from the audit log.")
    .option('--log <file>', 'the audit log (default: $GOVERN_AUDIT_LOG or .govern/audit.log)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'dot']).default('text'))
    .addHelpText('after', '\nA jti that starts with "-" goes after "--": govern lineage --format json -- -x3Fq…\nExamples:\n  govern lineage 01J…\n  govern lineage 01J… --format dot | dot -Tsvg > lineage.svg')
    .action(async (jti: string, opts: { log?: string; format: string }) => {
      const path = opts.log ?? defaultAuditLog();
      if (!existsSync(path)) throw new CliError(`no audit log at ${path}`);
      const records = (await readLogLines(path)).map((l, i) => {
        try {
          return JSON.parse(l) as AuditRecord;
        } catch {
          throw new CliError(`${path}:${i + 1}: not a JSON record (run \`govern audit verify\`)`);
        }
      });
      const index = LineageIndex.fromRecords(records);
      if (!index.knows(jti)) throw new CliError(`no record in ${path} names artifact ${jti}`);
      const view = lineageView(index, jti);
      if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify({ ...view, descendants: index.descendants(jti), revoked: index.isRevoked(jti) }, null, 2)}\n`);
      } else if (opts.format === 'dot') {
        process.stdout.write(`${dotGraph(view)}\n`);
      } else {
        process.stdout.write(`${textTree(view)}\n`);
        for (const r of index.recordsOf.get(jti) ?? []) process.stdout.write(`  ${formatRecordLine(r)}\n`);
      }
    });
}
