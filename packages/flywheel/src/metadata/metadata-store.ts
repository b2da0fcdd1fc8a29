import type {
  Artifact, ArtifactPatch, ArtifactQuery, Context, ContextQuery, Event, EventQuery, Execution,
  ExecutionInput, ExecutionOutput, ExecutionPatch, ExecutionQuery, LineageGraph, LineageQuery,
  NewArtifact, NewContext, NewEvent, NewExecution, TypeDefinition, TypeKind,
} from './model.js';

/**
 * The ML metadata port: what was produced (artifacts), what ran (executions), how they group
 * (contexts) and how they connect (events). Lookups by id throw NotFoundError; queries return
 * arrays. Batch methods are the primitives; single-item helpers are built on them.
 *
 * @example
 *   const [data] = await store.putArtifacts([{ type: 'Dataset', uri, digest }]);
 *   const graph = await store.lineage({ artifactId: data.id }, { direction: 'downstream', depth: 4 });
 */
export interface MetadataStore {
  readonly dialect: string;

  /** Declares a type; idempotent for the same kind and name (properties are merged). */
  putType(kind: TypeKind, name: string, properties?: TypeDefinition['properties']): Promise<TypeDefinition>;
  listTypes(kind?: TypeKind): Promise<TypeDefinition[]>;

  /** Types named here that do not exist yet are created. */
  putArtifacts(artifacts: NewArtifact[]): Promise<Artifact[]>;
  updateArtifact(id: number, patch: ArtifactPatch): Promise<Artifact>;
  getArtifact(id: number): Promise<Artifact>;
  findArtifacts(query?: ArtifactQuery): Promise<Artifact[]>;

  putExecution(execution: NewExecution): Promise<Execution>;
  updateExecution(id: number, patch: ExecutionPatch): Promise<Execution>;
  getExecution(id: number): Promise<Execution>;
  findExecutions(query?: ExecutionQuery): Promise<Execution[]>;

  /** Creates a context; ConflictError when one of the same type and name exists. */
  putContext(context: NewContext): Promise<Context>;
  /** Returns the context of that type and name, creating it when absent. */
  ensureContext(context: NewContext): Promise<Context>;
  updateContext(id: number, patch: { properties: Context['properties'] }): Promise<Context>;
  getContext(id: number): Promise<Context>;
  findContext(type: string, name: string): Promise<Context | undefined>;
  findContexts(query?: ContextQuery): Promise<Context[]>;

  /** Links artifacts to a context (attribution); idempotent. */
  attribute(contextId: number, artifactIds: number[]): Promise<void>;
  /** Links executions to a context (association); idempotent. */
  associate(contextId: number, executionIds: number[]): Promise<void>;
  /** Contexts an execution is associated with. */
  contextsOfExecution(executionId: number): Promise<Context[]>;

  putEvents(events: NewEvent[]): Promise<Event[]>;
  findEvents(query: EventQuery): Promise<Event[]>;

  /**
   * In one transaction: creates the execution, records its input events and associates it with
   * the contexts. Either all of it is stored or none.
   */
  startExecution(args: { execution: NewExecution; inputs: ExecutionInput[]; contextIds: number[] }): Promise<Execution>;

  /**
   * In one transaction: stores new output artifacts, records output events, attributes the
   * outputs to the execution's contexts and moves the execution to its final state.
   */
  finishExecution(
    executionId: number,
    args: { patch: ExecutionPatch; outputs: ExecutionOutput[] },
  ): Promise<{ execution: Execution; outputs: Artifact[] }>;

  /** The graph reachable from an artifact or execution within `depth` hops. */
  lineage(start: { artifactId: number } | { executionId: number }, query: LineageQuery): Promise<LineageGraph>;

  close(): Promise<void>;
}
