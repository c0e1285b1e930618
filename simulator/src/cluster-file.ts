// The cluster file (see examples/cluster.example.yaml, which documents every field, and
// docs/simulator.md §2). Its schema and validator are the engine's (gateway/src/cti-link/
// cluster-file.ts), shared with the `file` directory provider (docs/directory.md); this file turns
// a validated configuration into the simulator's cluster model.
import {
  ClusterFileSchema,
  DesklineError,
  ErrorCode,
  MAX_CLUSTER_FILE_BYTES,
  parseClusterConfig,
  parseClusterYaml,
  readClusterFile,
  err,
  type Result,
} from '../../gateway/src/protocol.js';
import { buildClusterModel, type ClusterModel } from './model.js';

export { ClusterFileSchema, MAX_CLUSTER_FILE_BYTES, parseClusterConfig, parseClusterYaml };

/** YAML text → the indexed cluster model, every problem named by its field path. */
export function loadClusterYaml(source: string): Result<ClusterModel> {
  const config = parseClusterYaml(source);
  return config.ok ? buildClusterModel(config.value) : config;
}

/** Reads and loads a cluster file from disk. */
export async function loadClusterFile(path: string): Promise<Result<ClusterModel>> {
  const config = await readClusterFile(path);
  if (!config.ok) return config;
  const model = buildClusterModel(config.value);
  if (model.ok) return model;
  return err(
    new DesklineError(ErrorCode.ConfigInvalid, `${path}: ${model.error.message}`, {
      cause: model.error,
      detail: model.error.detail === undefined ? undefined : { ...model.error.detail },
    }),
  );
}
