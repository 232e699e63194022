/** One instruction of a Dockerfile: `COPY --from=build a b` is { keyword: 'COPY', args: … }. */
export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  /** The FROM line's image. */
  image: string;
  /** Its `AS name`, if any. */
  name?: string;
  instructions: DockerInstruction[];
}

/**
 * Splits a Dockerfile into stages of instructions: comments and parser directives dropped,
 * lines continued with a trailing backslash joined. Enough for the checks in this folder,
 * not a full Dockerfile parser (no heredocs, no escape directive).
 */
export function parseDockerfile(text: string): DockerStage[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) {
      continue;
    }
    const continued = /\\\s*$/.test(line);
    pending += continued ? line.replace(/\\\s*$/, ' ') : line;
    if (!continued) {
      if (pending.trim()) {
        logical.push(pending.trim());
      }
      pending = '';
    }
  }
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [, keyword, args] = line.match(/^(\S+)\s*(.*)$/)!;
    const instruction = {
      keyword: keyword.toUpperCase(),
      args: args.replace(/\s+/g, ' '),
    };
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(' ');
      stages.push({
        image,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (stages.length === 0) {
      throw new Error(`${instruction.keyword} before the first FROM`);
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return stages;
}

/** The instructions of a stage with this keyword. */
export function instructionsOf(stage: DockerStage, keyword: string): string[] {
  return stage.instructions.filter(i => i.keyword === keyword).map(i => i.args);
}
