// The parse tree of a Dockerfile: what the parser produces and everything downstream reads.
// It mirrors BuildKit's parser.Node (value chain, flags, attributes, heredocs) and adds source positions.

/** 1-based line and column in the Dockerfile text (columns count UTF-16 code units, as editors do). */
export interface Position {
  line: number;
  column: number;
}

export interface SourceRange {
  start: Position;
  /** Last line of the instruction (including continuations and heredoc bodies), column after its last character. */
  end: Position;
}

/** A heredoc body attached to an instruction (`RUN <<EOF ... EOF`). */
export interface Heredoc {
  /** Delimiter word without quotes, e.g. `EOF`. */
  name: string;
  /** Body text, each line ending with "\n"; leading tabs already removed for `<<-`. */
  content: string;
  /** False when the delimiter was quoted (`<<"EOF"` / `<<'EOF'`): no variable expansion in the body. */
  expand: boolean;
  /** True for `<<-EOF` (leading tabs stripped). */
  chomp: boolean;
  /** File descriptor prefix in `3<<EOF`; 0 when absent. */
  fileDescriptor: number;
}

/** A flag as written before the arguments, e.g. `--from=build`. */
export interface FlagNode {
  /** The flag text as BuildKit keeps it: `--from=build` (escape characters already processed). */
  text: string;
  position: Position;
}

export interface InstructionNode {
  /** Lower-cased instruction name, e.g. `run`, `copy`, `onbuild`. */
  keyword: string;
  /** Instruction name as written (case kept), for messages. */
  keywordText: string;
  flags: FlagNode[];
  /**
   * Arguments as BuildKit's node.Next chain holds them (see the parser for each instruction's layout):
   * shell-form RUN/CMD/ENTRYPOINT/SHELL-less forms keep one string, JSON form keeps each element,
   * ENV/LABEL keep key/value/separator triples, ARG keeps each `name[=value]` word.
   */
  args: string[];
  /** True when the arguments came from a JSON array (exec form). */
  json: boolean;
  heredocs: Heredoc[];
  /** For ONBUILD: the wrapped instruction; its args hold the trigger. */
  child?: InstructionNode;
  /** The logical line as BuildKit's node.Original keeps it (continuations joined). */
  original: string;
  /** Comment lines directly above the instruction, without the leading `#`. */
  comments: string[];
  range: SourceRange;
  /** Position of the first argument (after flags), for carets in argument errors. */
  argsPosition: Position;
}

export interface Directive {
  /** Lower-cased directive name: `syntax`, `escape`, `check`. */
  name: string;
  value: string;
  position: Position;
}

export interface DockerfileAst {
  /** File name used in messages (e.g. `Dockerfile`). */
  file: string;
  /** The source text after BOM removal, as read. */
  source: string;
  directives: Directive[];
  escapeToken: '\\' | '`';
  instructions: InstructionNode[];
  /** Non-fatal findings BuildKit reports as warnings (e.g. empty continuation lines). */
  warnings: ParseWarning[];
}

export interface ParseWarning {
  message: string;
  position: Position;
}
